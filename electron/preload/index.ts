/// <reference lib="dom" />
// The preload hands the page its MessagePort to the engine and nothing else: no Node, no IPC
// surface. contextIsolation and sandbox stay on; the port is the whole API.
import { ipcRenderer } from 'electron';

ipcRenderer.on('opsdeck:engine-port', (event) => {
  // file:// pages have the opaque origin "null", so '*' is the only target that reaches them.
  window.postMessage('opsdeck:engine-port', '*', event.ports);
});
ipcRenderer.on('opsdeck:engine-error', (_event, message: unknown) => {
  window.postMessage({ type: 'opsdeck:engine-error', message: String(message) }, '*');
});
