/* careerflow's service worker: an offline-friendly shell, never anyone's data.

   - Precaches the static files (CSS, scripts, icons) and the offline page (which shows
     nobody's data) under a versioned cache; a new release is a new worker (the server
     fills in __VERSION__ from a digest of the files) and drops the old caches.
   - Static files: from the cache, refreshed from the network in the background.
   - Page navigations: always the network (pages are personal and `no-store`); when the
     network fails, the cached offline page.
   - Everything else (the API, form posts, the manifest): not touched, never cached. */
"use strict";

var VERSION = "__VERSION__";
var CACHE = "careerflow-shell-" + VERSION;
var OFFLINE = "/offline";
var SHELL = ["__SHELL__"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(SHELL.concat([new Request(OFFLINE, { cache: "reload" })]));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("careerflow-shell-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isStatic(url) {
  return url.origin === self.location.origin && url.pathname.indexOf("/static/") === 0;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }

  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).catch(function () {
        return caches.open(CACHE).then(function (cache) { return cache.match(OFFLINE); })
          .then(function (page) {
            return page || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
          });
      })
    );
    return;
  }

  if (isStatic(url)) {
    event.respondWith(
      caches.open(CACHE).then(function (cache) {
        return cache.match(request).then(function (cached) {
          var fresh = fetch(request).then(function (response) {
            if (response.ok && response.type === "basic") { cache.put(request, response.clone()); }
            return response;
          });
          if (cached) {
            event.waitUntil(fresh.catch(function () { return null; }));
            return cached;
          }
          return fresh;
        });
      })
    );
  }
  /* Anything else goes to the network as if there were no worker. */
});
