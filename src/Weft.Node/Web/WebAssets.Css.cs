namespace Weft.Node.Web;

internal static partial class WebAssets
{
    /// <summary>Light by default, dark by the browser's preference or the page's toggle (data-theme on the root).</summary>
    public const string Css = """"
:root {
  --bg: #f5f6f8; --card: #ffffff; --text: #1b1f24; --muted: #5d6670; --line: #e3e6ea;
  --accent: #3b5bdb; --accent-text: #ffffff; --ok: #2b8a3e; --warn: #c76a00; --bad: #c92a2a;
  --chip: #eef1f5; --shadow: 0 1px 3px rgba(20, 30, 40, .08);
  color-scheme: light;
}
:root[data-theme="dark"] {
  --bg: #111418; --card: #1a1e24; --text: #e6e9ee; --muted: #9aa3ad; --line: #2b313a;
  --accent: #7c94ff; --accent-text: #0d1020; --ok: #51cf66; --warn: #ffa94d; --bad: #ff6b6b;
  --chip: #242a33; --shadow: none;
  color-scheme: dark;
}
@media (prefers-color-scheme: dark) {
  :root:not([data-theme="light"]) {
    --bg: #111418; --card: #1a1e24; --text: #e6e9ee; --muted: #9aa3ad; --line: #2b313a;
    --accent: #7c94ff; --accent-text: #0d1020; --ok: #51cf66; --warn: #ffa94d; --bad: #ff6b6b;
    --chip: #242a33; --shadow: none;
    color-scheme: dark;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.bar { display: flex; align-items: center; justify-content: space-between; padding: 12px 20px; border-bottom: 1px solid var(--line); background: var(--card); }
.brand { font-weight: 700; font-size: 18px; display: flex; align-items: center; gap: 8px; }
.logo { width: 18px; height: 18px; border-radius: 5px; background: linear-gradient(135deg, var(--accent), var(--ok)); display: inline-block; }
main { max-width: 880px; margin: 0 auto; padding: 16px; display: grid; gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; box-shadow: var(--shadow); }
.head { display: flex; align-items: center; justify-content: space-between; gap: 12px; flex-wrap: wrap; }
h1 { font-size: 22px; margin: 0; word-break: break-all; }
h2 { font-size: 17px; margin: 0 0 8px; }
.muted { color: var(--muted); }
.block { display: block; font-size: 13px; }
.pill { display: inline-block; padding: 2px 10px; border-radius: 999px; background: var(--chip); font-size: 13px; margin-top: 8px; }
.pill.ok { color: var(--ok); } .pill.warn { color: var(--warn); } .pill.bad { color: var(--bad); }
button, select, input[type="search"] { font: inherit; color: inherit; }
button { background: var(--accent); color: var(--accent-text); border: 1px solid var(--accent); border-radius: 8px; padding: 6px 14px; cursor: pointer; }
button.ghost { background: transparent; color: var(--text); border-color: var(--line); }
button.copy { background: transparent; color: var(--accent); border: 1px solid var(--line); padding: 1px 8px; font-size: 12px; border-radius: 6px; }
button:disabled { opacity: .55; cursor: default; }
select, input[type="search"] { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px; }
input[type="search"] { min-width: 0; flex: 1 1 220px; max-width: 340px; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
input[role="switch"] { appearance: none; -webkit-appearance: none; width: 44px; height: 24px; border-radius: 999px; background: var(--line); position: relative; cursor: pointer; margin: 0; flex: none; transition: background .15s; }
input[role="switch"]::after { content: ""; position: absolute; top: 3px; left: 3px; width: 18px; height: 18px; border-radius: 50%; background: #fff; transition: left .15s; box-shadow: 0 1px 2px rgba(0,0,0,.3); }
input[role="switch"]:checked { background: var(--ok); }
input[role="switch"]:checked::after { left: 23px; }
input[role="switch"]:disabled { opacity: .5; cursor: default; }
.toggle { display: flex; align-items: center; gap: 10px; font-weight: 600; }
.setting { display: flex; align-items: center; justify-content: space-between; gap: 16px; cursor: pointer; }
.addresses { display: grid; grid-template-columns: max-content 1fr; gap: 6px 14px; margin: 14px 0 6px; }
.addresses dt { color: var(--muted); }
.addresses dd { margin: 0; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
.actions { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-top: 12px; }
.profile { display: flex; gap: 8px; align-items: center; }
.notice { margin-top: 12px; padding: 10px 12px; border-radius: 8px; background: var(--chip); word-break: break-all; }
.notice a { color: var(--accent); font-weight: 600; }
.error { background: color-mix(in srgb, var(--bad) 14%, var(--card)); color: var(--text); border: 1px solid var(--bad); border-radius: 10px; padding: 10px 14px; }
.health { margin: 10px 0 0; padding-left: 18px; color: var(--warn); }
.health:empty { display: none; }
.peers { list-style: none; margin: 8px 0 0; padding: 0; }
.peer { display: grid; grid-template-columns: 1fr auto; gap: 4px 12px; padding: 10px 0; border-top: 1px solid var(--line); }
.peer:first-child { border-top: 0; }
.peer .name { font-weight: 600; display: flex; align-items: center; gap: 8px; word-break: break-all; }
.peer .meta { color: var(--muted); font-size: 13px; display: flex; gap: 10px; flex-wrap: wrap; }
.peer .ip { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.peer .buttons { display: flex; gap: 6px; align-items: center; grid-row: span 2; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--muted); flex: none; }
.dot.on { background: var(--ok); }
.badge { font-size: 12px; padding: 0 8px; border-radius: 999px; background: var(--chip); color: var(--muted); font-weight: 500; }
.badge.direct { color: var(--ok); } .badge.relay { color: var(--warn); }
.toast { position: fixed; left: 50%; bottom: 18px; transform: translateX(-50%); background: var(--text); color: var(--bg); padding: 8px 14px; border-radius: 8px; opacity: 0; pointer-events: none; transition: opacity .2s; }
.toast.show { opacity: .92; }
@media (max-width: 560px) {
  main { padding: 10px; gap: 10px; }
  .card { padding: 14px; }
  .peer { grid-template-columns: 1fr; }
  .peer .buttons { grid-row: auto; }
  input[type="search"] { max-width: none; flex-basis: 100%; }
  .addresses { grid-template-columns: 1fr; gap: 2px; }
  .addresses dd { margin-bottom: 6px; }
}
"""";
}
