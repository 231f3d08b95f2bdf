/* The installable app: registers the service worker (static/sw.js, served at /sw.js so
   that its scope is the whole site). It keeps the shell and static files only: pages
   with anyone's data always come from the network. No inline script: the CSP is 'self'. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.isSecureContext) { return; }
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      /* No worker (private mode, disabled): the site works as before, online only. */
    });
  });
})();
