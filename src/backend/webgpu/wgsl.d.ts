/** WGSL files imported as text by the browser bundle (esbuild `text` loader). */
declare module '*.wgsl' {
  const source: string;
  export default source;
}
