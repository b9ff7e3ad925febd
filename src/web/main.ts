/** Entry point of the page bundle (main.js): starts the app and exposes its test hooks. */
import { App } from './app.js';

const app = new App();
window.webRl = app.hooks;
