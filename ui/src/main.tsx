/** The web UI: a front door over `/v1`, as the SDK is; no business logic of its own. */
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError, setToken, type WhoAmI } from './api.js'
import { href, useRoute } from './router.js'
import { EvaluationsPage } from './pages/evaluations.js'
import { FeatureSetPage, FeaturesPage } from './pages/features.js'
import { LineagePage } from './pages/lineage.js'
import { LogsPage } from './pages/logs.js'
import { ModelPage } from './pages/model.js'
import { ModelsPage } from './pages/models.js'
import { PipelinePage, PipelinesPage } from './pages/pipelines.js'
import { SignIn } from './pages/signin.js'
import './styles.css'

type Theme = 'light' | 'dark' | 'system'

function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, set] = useState<Theme>((localStorage.getItem('quiver.theme') as Theme | null) ?? 'system')
  useEffect(() => {
    localStorage.setItem('quiver.theme', theme)
    if (theme === 'system') delete document.documentElement.dataset.theme
    else document.documentElement.dataset.theme = theme
  }, [theme])
  return [theme, set]
}

const SECTIONS = [['models', 'Models'], ['pipelines', 'Pipelines'], ['features', 'Features'], ['lineage', 'Lineage'], ['evaluations', 'Evaluations']] as const

function App() {
  const route = useRoute()
  const [theme, setTheme] = useTheme()
  const [me, setMe] = useState<WhoAmI | null | 'signin'>(null)
  const [problem, setProblem] = useState<string>()
  const check = () => api<WhoAmI>('/whoami').then(setMe, (e: Error) => {
    if (e instanceof ApiError && e.status === 401) setMe('signin')
    else if (e instanceof ApiError && e.status === 404) setMe({ auth: false, workspace: null, role: null, user: null })
    else setProblem(e.message)
  })
  useEffect(() => { void check() }, [])

  if (problem) return <main><p class="error" role="alert">The server did not answer: {problem}</p></main>
  if (me === null) return <main><p class="muted">Loading…</p></main>
  if (me === 'signin') return <SignIn onSignedIn={() => { setMe(null); void check() }} />

  const [section = 'models', ...rest] = route
  let page
  if (section === 'models' && rest.length === 0) page = <ModelsPage />
  else if (section === 'models') page = <ModelPage name={rest[0]!} seq={rest[1]} me={me} />
  else if (section === 'pipelines' && rest.length === 0) page = <PipelinesPage />
  else if (section === 'pipelines' && rest[1] === 'logs') page = <LogsPage name={rest[0]!} />
  else if (section === 'pipelines') page = <PipelinePage name={rest[0]!} me={me} />
  else if (section === 'features' && rest.length === 0) page = <FeaturesPage />
  else if (section === 'features') page = <FeatureSetPage name={rest[0]!} me={me} />
  else if (section === 'lineage') page = <LineagePage refName={rest[0]} />
  else if (section === 'evaluations') page = <EvaluationsPage me={me} />
  else page = <p>No page here. <a href={href('models')}>Models</a></p>

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus() }}>Skip to content</a>
      <header>
        <a class="brand" href={href('models')}>Quiver</a>
        <nav aria-label="sections">
          {SECTIONS.map(([id, label]) => <a key={id} href={href(id)} aria-current={section === id ? 'page' : undefined}>{label}</a>)}
        </nav>
        <span class="spacer" />
        {me.auth && <span class="muted who">{me.workspace} · {me.role}{me.user ? ` · ${me.user}` : ''}</span>}
        <label class="theme">Theme{' '}
          <select value={theme} onChange={(e) => setTheme((e.target as HTMLSelectElement).value as Theme)}>
            <option value="system">system</option><option value="light">light</option><option value="dark">dark</option>
          </select>
        </label>
        {me.auth && <button type="button" onClick={() => { setToken(null); setMe('signin') }}>Sign out</button>}
      </header>
      <main id="main" tabIndex={-1}>{page}</main>
    </>
  )
}

render(<App />, document.getElementById('app')!)
