import './zod-jitless';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { EngineConnection } from './connection';

// Started before React renders, so the Electron port (posted once the page has loaded) is never missed.
const connection = new EngineConnection();
connection.start();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App connection={connection} />
  </StrictMode>,
);
