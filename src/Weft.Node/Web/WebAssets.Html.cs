namespace Weft.Node.Web;

/// <summary>
/// The page, its style sheet and its script, compiled into the assembly so `weft web` is one binary that
/// works offline: no CDN, no fonts or icons fetched from anywhere.
/// </summary>
internal static partial class WebAssets
{
    /// <summary>The single page; the script fills it from /api/state.</summary>
    public const string Html = """"
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Weft</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header class="bar">
  <div class="brand"><span class="logo" aria-hidden="true"></span>Weft</div>
  <button type="button" id="theme" class="ghost" data-testid="theme-toggle" aria-label="Switch between light and dark theme">Theme</button>
</header>
<main>
  <div id="error" class="error" role="alert" data-testid="error" hidden></div>
  <section class="card" aria-labelledby="device-name">
    <div class="head">
      <div class="title">
        <h1 id="device-name" data-testid="device-name">This device</h1>
        <div class="muted" id="device-user" data-testid="device-user"></div>
      </div>
      <label class="toggle" title="Connect or disconnect this device">
        <span id="connected-label" data-testid="connected-label">Disconnected</span>
        <input type="checkbox" role="switch" id="connected" data-testid="connected" aria-label="Connected">
      </label>
    </div>
    <div class="state"><span id="state" class="pill" data-testid="backend-state">…</span></div>
    <div id="login-box" class="notice" data-testid="login-box" hidden>
      <span>To log in, open</span> <a id="login-url" data-testid="login-url" target="_blank" rel="noopener noreferrer"></a>
    </div>
    <dl id="addresses" class="addresses" data-testid="addresses"></dl>
    <div class="actions">
      <button type="button" id="login" data-testid="login">Log in</button>
      <button type="button" id="logout" class="ghost" data-testid="logout">Log out</button>
      <label id="profile-box" class="profile" hidden>Account
        <select id="profile" data-testid="profile"></select>
      </label>
    </div>
    <ul id="health" class="health" data-testid="health"></ul>
  </section>
  <section class="card" aria-labelledby="peers-title">
    <div class="head">
      <h2 id="peers-title">Peers <span id="peer-count" class="muted"></span></h2>
      <input type="search" id="search" data-testid="search" placeholder="Search name, IP, user, OS" aria-label="Search peers" autocomplete="off">
    </div>
    <ul id="peers" class="peers" data-testid="peers"></ul>
    <p id="no-peers" class="muted" data-testid="no-peers" hidden>No peers.</p>
  </section>
  <section class="card" aria-labelledby="settings-title">
    <h2 id="settings-title">Settings</h2>
    <label class="setting">
      <span><strong>Use tailnet DNS</strong><span class="muted block">Point this device's resolver at MagicDNS, so peers resolve by name</span></span>
      <input type="checkbox" role="switch" id="accept-dns" data-testid="accept-dns" aria-label="Use tailnet DNS">
    </label>
  </section>
</main>
<div id="toast" class="toast" role="status" aria-live="polite" data-testid="toast"></div>
<script src="/app.js" defer></script>
</body>
</html>
"""";
}
