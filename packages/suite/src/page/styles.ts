/** Inline stylesheet: the page has no external assets so it works behind any proxy and under a strict CSP. */
export const STYLES = `
:root { --fg:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --card:#fff;
  --ok:#1f9d55; --warn:#d69e2e; --bad:#cc1f1a; --na:#9aa5b1; --accent:#2b6cb0; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { background:#1f2933; color:#fff; padding:14px 28px; display:flex; align-items:center; gap:16px; }
header h1 { font-size:18px; margin:0; font-weight:600; }
header .meta { margin-left:auto; color:#cbd2d9; font-size:12px; }
main { max-width:1180px; margin:0 auto; padding:20px 28px 48px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px 20px; margin-bottom:18px; }
section h2 { font-size:15px; margin:0 0 12px; }
table { width:100%; border-collapse:collapse; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; text-transform:uppercase; letter-spacing:.03em; color:var(--muted); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
code, pre { font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; }
pre { margin:0; white-space:pre-wrap; word-break:break-word; background:#f0f4f8; padding:6px 8px; border-radius:4px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; background:var(--na); }
.badge.healthy, .badge.passed { background:var(--ok); }
.badge.degraded, .badge.warning, .badge.unverified { background:var(--warn); }
.badge.unhealthy, .badge.critical, .badge.failed { background:var(--bad); }
.badge.info { background:var(--accent); }
.overall { display:flex; align-items:center; gap:14px; font-size:16px; }
.overall .badge { font-size:15px; padding:4px 14px; }
.muted { color:var(--muted); }
.grid-2 { display:grid; grid-template-columns:1fr; gap:18px; }
svg.chart { background:#fff; }
svg.chart .grid { stroke:var(--line); stroke-width:1; }
svg.chart .axis { fill:var(--muted); font-size:11px; }
svg.chart .history { fill:none; stroke:var(--accent); stroke-width:2; }
svg.chart .forecast { fill:none; stroke:var(--accent); stroke-width:2; stroke-dasharray:6 4; }
svg.chart .band { fill:var(--accent); opacity:.15; }
svg.chart .limit { stroke:var(--bad); stroke-width:1.5; stroke-dasharray:2 3; }
svg.chart .limit-label { fill:var(--bad); }
form.inline { display:inline; }
button { font:inherit; padding:5px 12px; border-radius:5px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
button.secondary { background:#fff; color:var(--accent); }
button.danger { background:var(--bad); border-color:var(--bad); }
td form.inline + form.inline { margin-left:4px; }
td button { padding:2px 8px; font-size:12px; }
.confirm { max-width:640px; margin:60px auto; }
form.explain textarea { width:100%; font:12px ui-monospace,monospace; padding:6px; border:1px solid var(--line); border-radius:5px; box-sizing:border-box; }
pre.plan { background:#f7f7f9; padding:8px; overflow-x:auto; font-size:12px; }
.login { max-width:380px; margin:80px auto; }
.login input { width:100%; padding:8px; margin:8px 0 12px; font:inherit; border:1px solid var(--line); border-radius:5px; }
nav.sections { position:sticky; top:0; z-index:1; background:#323f4b; padding:6px 28px; display:flex; flex-wrap:wrap; gap:4px 16px; }
nav.sections a { color:#e4e7eb; text-decoration:none; font-size:13px; }
nav.sections a:hover { text-decoration:underline; }
caption { text-align:left; font-weight:600; padding:10px 0 4px; color:var(--muted); }
details.sql summary { cursor:pointer; list-style:none; }
details.sql[open] summary { display:none; }
tr.blocked td, tr.blocker td { background:#fffbea; }
tr.changed td:first-child code { font-weight:700; }
.grid-3 { display:grid; grid-template-columns:repeat(auto-fit, minmax(240px, 1fr)); gap:18px; }
.notice { padding:8px 12px; border-radius:5px; background:#fffbea; border:1px solid #f7d070; margin-bottom:12px; }
`;
