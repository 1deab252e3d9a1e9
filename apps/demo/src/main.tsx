import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { SessionProvider } from '@baton/react'
import { App } from './App'
import { baton } from './baton'
import { prefetchNotes } from './notes-prefetch'
import './styles.css'

prefetchNotes()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider client={baton}>
      <App />
    </SessionProvider>
  </StrictMode>,
)
