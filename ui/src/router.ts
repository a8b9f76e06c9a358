/** Hash routes (`#/models/iris`): the server serves one page, the path after `#` picks the view. */
import { useEffect, useState } from 'preact/hooks'

export function currentPath(): string {
  return location.hash.replace(/^#/, '') || '/models'
}

export function useRoute(): string[] {
  const [path, setPath] = useState(currentPath())
  useEffect(() => {
    const on = () => setPath(currentPath())
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent)
}

export function href(...parts: (string | number)[]): string {
  return '#/' + parts.map((p) => encodeURIComponent(String(p))).join('/')
}

export function go(...parts: (string | number)[]): void {
  location.hash = href(...parts)
}
