/** Node-only file helpers: crash-safe writes. */
export { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';
