/* The technician app's service worker (served at /tech/sw.js, scope /tech/).
 * - Keeps the forms the page could not send (no connection) in IndexedDB, in order, and sends
 *   them when asked (the page asks when the browser is back online, and on every load). A kept
 *   form is removed once the server answered it, whatever the answer (a refusal is shown on
 *   the next page); it stays while the network fails. Status forms carry an idempotency key,
 *   so a change the server got but whose answer was lost is applied once.
 * - Serves the app's pages and assets network first, from its cache when offline. */
"use strict";
var DB = "dotmac-tech", STORE = "outbox", CACHE = "dotmac-tech-v1";

function open() {
  return new Promise(function (resolve, reject) {
    var request = indexedDB.open(DB, 1);
    request.onupgradeneeded = function () {
      request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });
}

function run(mode, work) {
  return open().then(function (db) {
    return new Promise(function (resolve, reject) {
      var transaction = db.transaction(STORE, mode);
      var result = work(transaction.objectStore(STORE));
      transaction.oncomplete = function () { resolve(result && result.result); };
      transaction.onerror = function () { reject(transaction.error); };
    });
  });
}

function all() { return run("readonly", function (store) { return store.getAll(); }); }
function count() { return run("readonly", function (store) { return store.count(); }); }
function add(entry) { return run("readwrite", function (store) { return store.add(entry); }); }
function remove(id) { return run("readwrite", function (store) { return store.delete(id); }); }

var flushing = null;

function send(entry) {
  var body = new FormData();
  entry.entries.forEach(function (pair) { body.append(pair[0], pair[1]); });
  return fetch(entry.url, { method: "POST", body: body, credentials: "same-origin" });
}

function flush() {
  if (flushing) return flushing;
  var sent = 0;
  flushing = all().then(function (entries) {
    return entries.reduce(function (chain, entry) {
      return chain.then(function (ok) {
        if (!ok) return false;
        return send(entry).then(function () {
          sent += 1;
          return remove(entry.id).then(function () { return true; });
        }, function () { return false; });
      });
    }, Promise.resolve(true));
  }).then(count).then(function (left) {
    flushing = null;
    return { sent: sent, left: left };
  }, function (error) { flushing = null; throw error; });
  return flushing;
}

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("message", function (event) {
  var port = event.ports[0], message = event.data || {};
  var answer;
  if (message.type === "queue") {
    answer = add({ url: message.url, entries: message.entries, at: Date.now() })
      .then(count).then(function (left) { return { queued: true, left: left }; });
  } else if (message.type === "flush") {
    answer = flush();
  } else {
    answer = count().then(function (left) { return { left: left }; });
  }
  event.waitUntil(answer.then(function (data) { if (port) port.postMessage(data); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.match(request).then(function (found) {
      return found || new Response("Offline, and this page was not seen before.",
        { status: 503, headers: { "Content-Type": "text/plain" } });
    });
  }));
});
