/** The platform seam, browser flavour (see platform.ts): navigator.gpu and bundled shader text. */
export { acquireDevice } from './device-browser.js';
export { loadShaderSource } from './shader-sources-browser.js';
