/** With `quiver serve --auth`: the token to sign in with, kept in this browser only. */
import { useState } from 'preact/hooks'
import { api, ApiError, setToken, type WhoAmI } from '../api.js'

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [value, setValue] = useState('')
  const [error, setError] = useState<string>()
  const submit = async (e: Event) => {
    e.preventDefault()
    setToken(value.trim())
    try {
      await api<WhoAmI>('/whoami')
      onSignedIn()
    } catch (err) {
      setToken(null)
      setError(err instanceof ApiError ? err.message : String(err))
    }
  }
  return (
    <main class="signin">
      <h1>Sign in to Quiver</h1>
      <p class="muted">This server needs an API token. An owner makes one with:</p>
      <pre class="cmd"><code>quiver token create --workspace default --role viewer</code></pre>
      <form onSubmit={submit}>
        <label for="token">Token</label>
        <input id="token" type="password" autocomplete="off" required autofocus value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        <button class="primary" type="submit">Sign in</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
    </main>
  )
}
