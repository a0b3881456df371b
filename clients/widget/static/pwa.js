// The stand-alone page only: a service worker makes the widget an
// installable app that opens even without a connection (and then shows the
// offline banner until it can reach the server).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js").catch(() => {});
}
