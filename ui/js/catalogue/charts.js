// Charts for the catalogue and statistics pages, drawn with Chart.js from
// ui/vendor/ (copied from npm by build/vendor.py; never a CDN, so the app
// works offline). The UMD build is loaded once as a module: it sets
// globalThis.Chart. Animations are off: numbers should simply be there.

let loading = null;

export const PALETTE = ['#2f6fed', '#12b76a', '#f79009', '#7a5af8', '#ee46bc', '#06aed4', '#f04438', '#667085',
  '#84caff', '#a6ef67'];

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function loadChart() {
  if (!loading) {
    loading = import('../../vendor/chart.js/chart.umd.min.js').then(() => {
      const Chart = globalThis.Chart;
      if (!Chart) throw new Error('vendor/chart.js did not define Chart');
      Chart.defaults.font.family = cssVar('--font', 'sans-serif');
      Chart.defaults.font.size = 12;
      Chart.defaults.color = cssVar('--muted', '#667085');
      Chart.defaults.borderColor = cssVar('--border', '#e3e7ef');
      Chart.defaults.animation = false;
      Chart.defaults.maintainAspectRatio = false;
      Chart.defaults.plugins.legend.labels.boxWidth = 12;
      return Chart;
    }).catch((err) => {
      loading = null; // let a later page try again
      throw err;
    });
  }
  return loading;
}
