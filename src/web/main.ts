// The page's entry point (bundled by esbuild into dist/web/app.js, its CSS into app.css).
import './styles.css';
import { App } from './app.js';

new App(window.location).start();
