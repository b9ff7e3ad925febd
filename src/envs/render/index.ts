/** Software renderers of the classic-control envs (Node and browser, no canvas package). */
export { Surface, rotate, type Rgb } from './raster.js';
export { renderCartPole, CARTPOLE_SCREEN_WIDTH, CARTPOLE_SCREEN_HEIGHT, POLE_COLOR, AXLE_COLOR } from './cartpole-render.js';
export { renderAcrobot, ACROBOT_SCREEN_DIM } from './acrobot-render.js';
export { renderMountainCar, mountainHeight } from './mountain-car-render.js';
export { renderPendulum, PENDULUM_SCREEN_DIM, PENDULUM_ROD_COLOR } from './pendulum-render.js';
