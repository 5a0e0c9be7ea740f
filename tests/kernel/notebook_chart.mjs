// Drives a real browser against a classic Jupyter Notebook server: opens a notebook whose kernel is nbssl-csharp,
// runs its cells (one draws a Plotly chart), waits for plotly.js to draw the chart's SVG, and takes a screenshot.
// usage: node notebook_chart.mjs URL SCREENSHOT.png   (playwright-core resolved from NODE_PATH; Debian's chromium)
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const [url, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('pageerror', e => console.log('page error:', e.message));
  await page.goto(url, { waitUntil: 'load' });
  // the kernel started and connected
  await page.waitForFunction(() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel
    && Jupyter.notebook.kernel.is_connected(), null, { timeout: 120000 });
  await page.evaluate(() => Jupyter.notebook.execute_all_cells());
  // plotly.js drew the chart: an SVG with the trace's line path
  await page.waitForSelector('.js-plotly-plot .scatterlayer .trace path.js-line', { timeout: 180000 });
  const drawn = await page.evaluate(() => {
    const path = document.querySelector('.js-plotly-plot .scatterlayer .trace path.js-line');
    const box = path.getBoundingClientRect();
    return { d: (path.getAttribute('d') || '').length, width: box.width, height: box.height, plotly: !!window.Plotly };
  });
  const chart = await page.$('.js-plotly-plot');
  await chart.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log('drawn ' + JSON.stringify(drawn));
  if (drawn.d < 10 || drawn.width < 50) { console.log('the chart is blank'); process.exitCode = 1; }
} finally {
  await browser.close();
}
