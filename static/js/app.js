/*
 * The landing page: a panel of filters beside the map of events.
 *
 * Why this way: the filters are the items endpoint's own parameters and live in the
 * address bar (the query string, with the map view in the hash), so any URL reopens the
 * same view and the "GeoJSON" and "Full-page map" links select the same events. The map
 * asks /map/events only for the events around the view (bbox), at most LIMIT at a time,
 * so a store of 100,000 events stays quick; a popup fetches its sentence when it opens.
 * All text from the server goes into the page as DOM text, never as HTML.
 */
(function () {
  "use strict";

  var LIMIT = 5000;
  var FILTERS = ["article", "actor", "type", "place", "datetime", "max_geo_precision"];
  var LISTS = { type: "gm-types", actor: "gm-actors", article: "gm-articles" };
  var DEFAULT_VIEW = [6, 35.0, 38.5]; // zoom, lat, lon: Syria
  var EMPTY = { types: [], actors: [], articles: [], places: [], events: [] };
  var SVG = "http://www.w3.org/2000/svg";

  var $ = function (id) { return document.getElementById(id); };
  var state = { filters: {}, loaded: null, total: null, seq: 0, countSeq: 0, placeNames: {} };

  // -- the address bar ------------------------------------------------------

  function readUrl() {
    var params = new URLSearchParams(location.search), filters = {};
    FILTERS.forEach(function (k) {
      if (params.get(k)) filters[k] = params.get(k);
    });
    var m = /^#(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(location.hash);
    return { filters: filters, view: m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null };
  }

  function query(extra) {
    var params = new URLSearchParams();
    FILTERS.forEach(function (k) {
      if (state.filters[k]) params.set(k, state.filters[k]);
    });
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    // commas and slashes may stand unescaped in a query: "type=battle,protest&datetime=2022/.."
    return params.toString().replace(/%2C/gi, ",").replace(/%2F/gi, "/");
  }

  function writeUrl() {
    var q = query(), c = map.getCenter();
    var url = "/" + (q ? "?" + q : "") + "#" + map.getZoom() + "/" + c.lat.toFixed(4) + "/" +
      c.lng.toFixed(4);
    history.replaceState(null, "", url);
    $("gm-permalink").href = url;
    $("gm-link-map").href = "/map" + (q ? "?" + q : "");
    $("gm-link-geojson").href = "/collections/events/items" + (q ? "?" + q : "");
  }

  // -- the panel --------------------------------------------------------------

  function checkbox(list, value, label) {
    var input = document.createElement("input");
    input.type = "checkbox";
    input.name = list;
    input.value = value;
    var row = document.createElement("label");
    row.appendChild(input);
    label.forEach(function (part) {
      row.appendChild(typeof part === "string" ? document.createTextNode(part) : part);
    });
    $(LISTS[list]).appendChild(row);
  }

  function typeIcon(type) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "gm-legend-icon");
    svg.setAttribute("viewBox", "0 0 " + Number(type[2]) + " " + Number(type[3]));
    svg.setAttribute("width", "13");
    svg.setAttribute("height", "13");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", type[4]);
    svg.appendChild(path);
    return svg;
  }

  function swatch(colour) {
    var dot = document.createElement("span");
    dot.className = "gm-swatch";
    dot.style.color = colour;
    dot.textContent = "●";
    return dot;
  }

  function count(n) {
    var small = document.createElement("small");
    small.textContent = " (" + n + ")";
    return small;
  }

  function buildTypes(types) {
    if ($("gm-types").childNodes.length) return;
    types.forEach(function (t) { checkbox("type", t[0], [typeIcon(t), " " + t[1]]); });
    writeForm();
  }

  /** Put the filters into the panel (on load, and after "clear"). */
  function writeForm() {
    var f = state.filters;
    $("gm-place").value = (f.place || "").split(",").join(", ");
    $("gm-precision").value = f.max_geo_precision || "";
    var ends = (f.datetime || "").split("/");
    var first = geomapDayRange(ends[0] && ends[0] !== ".." ? ends[0] : null);
    var last = geomapDayRange(ends[ends.length - 1] !== ".." ? ends[ends.length - 1] : null);
    $("gm-from").value = first ? new Date(first[0] * 864e5).toISOString().slice(0, 10) : "";
    $("gm-to").value = last ? new Date(last[1] * 864e5).toISOString().slice(0, 10) : "";
    Object.keys(LISTS).forEach(function (list) {
      var on = (f[list] || "").split(",");
      Array.prototype.forEach.call($(LISTS[list]).querySelectorAll("input"), function (box) {
        box.checked = on.indexOf(box.value) >= 0;
      });
    });
  }

  /** Read the field that changed back into the filters. */
  function readField(field) {
    var f = state.filters;
    if (LISTS[field.name]) {
      var on = $(LISTS[field.name]).querySelectorAll("input:checked");
      f[field.name] = Array.prototype.map.call(on, function (b) { return b.value; }).join(",");
    } else if (field.name === "from" || field.name === "to") {
      var from = $("gm-from").value, to = $("gm-to").value;
      f.datetime = from || to ? (from || "..") + "/" + (to || "..") : "";
    } else if (field.name === "max_geo_precision") {
      f.max_geo_precision = field.value;
    }
  }

  /** Place names as the gazetteer spells them ("Hmeimim" -> "Khmeimim"), so the filter,
   * which matches names exactly, finds what the user meant. */
  function resolvePlaces(text) {
    var terms = text.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
    return Promise.all(terms.map(function (term) {
      return getJson("/collections/places/items?" + new URLSearchParams({ q: term, limit: 1 }))
        .then(function (found) {
          var hit = found.features && found.features[0];
          return hit ? hit.properties.name : term;
        })
        .catch(function () { return term; });
    }));
  }

  // -- data -------------------------------------------------------------------

  function getJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (body) {
        if (r.ok) return body;
        throw new Error(typeof body.detail === "string" ? body.detail : "HTTP " + r.status);
      });
    });
  }

  function wrapLon(lon) {
    return ((((lon + 180) % 360) + 360) % 360) - 180;
  }

  /** The view (grown by `pad`) as minLon,minLat,maxLon,maxLat; west > east when it
   * crosses the antimeridian. */
  function viewBbox(pad) {
    var b = map.getBounds().pad(pad);
    var west = b.getWest(), east = b.getEast();
    if (east - west >= 360) {
      west = -180;
      east = 180;
    } else {
      west = wrapLon(west);
      east = wrapLon(east);
    }
    var clamp = function (lat) { return Math.max(-90, Math.min(90, lat)); };
    return [west, clamp(b.getSouth()), east, clamp(b.getNorth())].map(function (v) {
      return Number(v.toFixed(5));
    });
  }

  function within(outer, inner) {
    var lon = function (b) { return b[0] <= b[2] ? [[b[0], b[2]]] : [[b[0], 180], [-180, b[2]]]; };
    var fits = lon(inner).every(function (r) {
      return lon(outer).some(function (o) { return o[0] <= r[0] && r[1] <= o[1]; });
    });
    return fits && outer[1] <= inner[1] && inner[3] <= outer[3];
  }

  /** Fetch the events around the view, unless those loaded already hold them all;
   * `fit` frames the finest of them instead (first visit, a new place). */
  function load(fit) {
    var key = query(), loaded = state.loaded;
    if (!fit && loaded && loaded.key === key && !loaded.truncated &&
        (!loaded.bbox || within(loaded.bbox, viewBbox(0)))) {
      showCounts();
      return;
    }
    var bbox = fit ? null : viewBbox(0.5), seq = ++state.seq;
    var extra = bbox ? { bbox: bbox.join(","), limit: LIMIT } : { limit: LIMIT };
    getJson("/map/events?" + query(extra))
      .then(function (data) {
        if (seq !== state.seq) return; // a newer request has been sent
        state.loaded = { key: key, bbox: bbox, truncated: data.numberMatched > data.numberReturned,
          matched: data.numberMatched };
        events.setData(data);
        buildTypes(data.types);
        addPlaceNames(data.places);
        showError(null);
        if (fit && data.bounds) map.fitBounds(data.bounds, { maxZoom: 9 });
        showCounts();
      })
      .catch(showError);
    if (state.total === null || state.total.key !== key) loadTotal(key);
  }

  function loadTotal(key) {
    var seq = ++state.countSeq;
    state.total = { key: key, n: null };
    // /map/events counts every match; the items endpoint stops counting past a bound
    getJson("/map/events?" + query({ limit: 1 }))
      .then(function (page) {
        if (seq !== state.countSeq) return;
        state.total.n = page.numberMatched;
        showCounts();
      })
      .catch(showError);
  }

  function plural(n, word) {
    return n.toLocaleString("en") + " " + word + (n === 1 ? "" : "s");
  }

  function showCounts() {
    var total = state.total && state.total.n;
    $("gm-total").textContent = total === null || total === undefined
      ? "…"
      : plural(total, "event") + (total === 1 ? " matches" : " match");
    var loaded = state.loaded, inView = 0, view = map.getBounds();
    events.data.events.forEach(function (e) {
      var p = events.data.places[e[1]];
      if (view.contains([p[4], p[3]])) inView += 1;
    });
    $("gm-inview").textContent = loaded ? "· " + inView.toLocaleString("en") + " in view" : "";
    var note = $("gm-truncated");
    note.hidden = !(loaded && loaded.truncated);
    if (loaded && loaded.truncated) {
      note.textContent = "The map shows the first " + events.size().toLocaleString("en") +
        " of " + plural(loaded.matched, "event") +
        " around this view: zoom in or narrow the filters.";
    }
  }

  function showError(error) {
    var box = $("gm-error");
    if (!error) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("p");
      box.id = "gm-error";
      box.className = "gm-warning";
      box.setAttribute("role", "alert");
      $("gm-filters").insertBefore(box, $("gm-filters").firstChild);
    }
    box.textContent = "Could not load the events: " + error.message;
  }

  function addPlaceNames(places) {
    var list = $("gm-place-names");
    places.forEach(function (p) {
      if (state.placeNames[p[1]] || list.childNodes.length >= 1000) return;
      state.placeNames[p[1]] = true;
      var option = document.createElement("option");
      option.value = p[1];
      list.appendChild(option);
    });
  }

  // -- the map ------------------------------------------------------------------

  var start = readUrl();
  state.filters = start.filters;
  var view = start.view || DEFAULT_VIEW;
  var map = L.map("gm-map", { zoomControl: true, worldCopyJump: true })
    .setView([view[1], view[2]], view[0]);
  var tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution:
      '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
  }).addTo(map);
  var cluster = L.markerClusterGroup({
    chunkedLoading: true,
    showCoverageOnHover: false,
    maxClusterRadius: 50,
    attribution: "Icons: Font Awesome (CC BY 4.0)",
  }).addTo(map);
  var heat = L.heatLayer([], { radius: 22, blur: 18, maxZoom: 7 });
  var places = L.featureGroup();
  var events = geomapEvents(map, cluster, EMPTY, { detailsUrl: "/map/events/" });
  events.bindHeat(heat);
  events.bindPlaces(places);
  var control = L.control.layers(null, {
    "Event markers": cluster,
    "Heat map": heat,
    "Places with events (sized by count)": places,
    "OpenStreetMap (online tiles)": tiles,
  }, { collapsed: true }).addTo(map);
  L.control.scale().addTo(map);
  geomapAddFallbackToControl(control, geomapFallbackBasemap(map));

  var moved = null;
  map.on("moveend", function () {
    writeUrl();
    clearTimeout(moved);
    moved = setTimeout(function () { load(false); }, 250);
  });

  $("gm-filters").addEventListener("change", function (event) {
    var field = event.target;
    if (field.name === "place") {
      resolvePlaces(field.value).then(function (names) {
        state.filters.place = names.join(",");
        field.value = names.join(", ");
        writeUrl();
        load(names.length > 0);
      });
      return;
    }
    readField(field);
    writeUrl();
    load(false);
  });
  $("gm-filters").addEventListener("submit", function (event) { event.preventDefault(); });
  $("gm-filters").addEventListener("reset", function (event) {
    event.preventDefault();
    state.filters = {};
    writeForm();
    writeUrl();
    load(false);
  });

  Promise.all([getJson("/api/actors?used=true"), getJson("/api/articles")])
    .then(function (lists) {
      lists[0].forEach(function (a) {
        checkbox("actor", a.code, [swatch(a.colour), " " + a.name, count(a.events)]);
      });
      lists[1].forEach(function (a) {
        checkbox("article", String(a.id), [a.title, count(a.events)]);
      });
      writeForm();
    })
    .catch(showError);

  writeForm();
  writeUrl();
  load(!start.view);
})();
