/*
 * geomap events in the browser: markers, popups, layer facets and the time window.
 *
 * Why: a Folium object per marker made a 10,000-event map weigh tens of megabytes. The
 * page instead carries one compact data blob (built by geomap/mapview.py, or fetched
 * from /map/events by the landing page); each event becomes one marker, made once and
 * shared by every layer that lists it, and popups are built only when opened, from DOM
 * text nodes, so no text from an article is ever parsed as HTML.
 *
 * The blob (short arrays, indexes into the tables):
 *   types    [code, label, iconWidth, iconHeight, iconPath]   (every event type)
 *   actors   [code, name, colour]
 *   articles [id, title, outlet, url, published]
 *   places   [id, name, kind, lon, lat, outline]   (outline: index into outlines, or null)
 *   outlines (optional) GeoJSON geometries: a governorate-level event is drawn as the
 *            outline of its governorate, not as a point at its centroid
 *   events   [id, place, type, geoPrecision, date, [actor...], [article...]]
 *   details  (optional, standalone maps) [sentence, [[start, end, actorCode|null]...]]
 *            per event; otherwise fetched from options.detailsUrl + id when a popup opens.
 *
 * Needs Leaflet and Leaflet.markercluster. Plain browser script, no build step.
 */
(function (root) {
  "use strict";

  var EV_ID = 0, EV_PLACE = 1, EV_TYPE = 2, EV_PREC = 3, EV_DATE = 4, EV_ACTORS = 5,
    EV_ARTICLES = 6;
  var COLUMNS = { type: EV_TYPE, actor: EV_ACTORS, article: EV_ARTICLES };
  var NEUTRAL = "#555555";
  var DAY_MS = 86400000;
  var COLOUR = /^#[0-9a-f]{3,8}$/i;
  var SVG_PATH = /^[0-9a-z .,+-]*$/i; // path data only: letters, digits, separators

  /** An element with text children: strings become text nodes (textContent, in effect),
   * so text from an article is never parsed as HTML and needs no escaping. */
  function el(tag, className, children) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    (children || []).forEach(function (child) {
      if (child == null) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function safeColour(colour) {
    return COLOUR.test(colour || "") ? colour : NEUTRAL;
  }

  /** Only http(s) URLs become links (the server drops the rest too). */
  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  /** Dark glyphs on light fills (SDF yellow, Israel light blue), white on the rest. */
  function inkOn(colour) {
    var hex = colour.slice(1);
    if (hex.length < 6) hex = hex.replace(/./g, "$&$&");
    var rgb = [0, 2, 4].map(function (i) { return parseInt(hex.slice(i, i + 2), 16) / 255; });
    var luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    return luminance > 0.6 ? "#222222" : "#ffffff";
  }

  /** "2022", "2022-03" or "2022-03-08" -> [first day, last day] in days since 1970. */
  function dayRange(date) {
    if (!date) return null;
    var parts = date.split("-").map(Number);
    var y = parts[0], m = parts[1], d = parts[2];
    var start = Date.UTC(y, m ? m - 1 : 0, d || 1) / DAY_MS;
    var end = d ? start : Date.UTC(m ? y : y + 1, m ? m : 0, 1) / DAY_MS - 1;
    return [start, end];
  }

  function isoDay(day) {
    return new Date(day * DAY_MS).toISOString().slice(0, 10);
  }

  function flatten(layers, out) {
    layers.forEach(function (layer) {
      if (layer instanceof L.LayerGroup) flatten(layer.getLayers(), out);
      else out.push(layer);
    });
    return out;
  }

  /**
   * The parent group of one family of layers (articles, actors or event types): its
   * FeatureGroupSubGroups hand it their markers when switched on and take them back
   * when switched off. It counts, per event, how many of its layers are on; an event
   * is drawn when every family has at least one of its layers on (the same "any within
   * a filter, all across filters" rule as the items endpoint).
   */
  var Facet = L.LayerGroup.extend({
    initialize: function (events) {
      L.LayerGroup.prototype.initialize.call(this);
      this._events = events;
      this.counts = new Int32Array(events.size());
    },
    addLayer: function (layer) { return this.addLayers([layer]); },
    removeLayer: function (layer) { return this.removeLayers([layer]); },
    addLayers: function (layers) { return this._count(layers, 1); },
    removeLayers: function (layers) { return this._count(layers, -1); },
    _count: function (layers, step) {
      var counts = this.counts, events = this._events;
      flatten(layers, []).forEach(function (marker) {
        var i = marker.gmIndex;
        counts[i] += step;
        if (counts[i] === (step > 0 ? 1 : 0)) events.touch(i);
      });
      return this;
    },
  });

  /**
   * The events of one map: `cluster` is the L.markerClusterGroup they are drawn in.
   * options.detailsUrl: where popups fetch their sentence when the blob has no details.
   */
  function GeomapEvents(map, cluster, data, options) {
    this.map = map;
    this.cluster = cluster;
    this.options = options || {};
    this.facets = [];
    this.window = null; // [firstDay, lastDay], or null for every date
    this.undated = true;
    this._listeners = [];
    this._dirty = null;
    this._icons = {};
    this.setData(data);
    GeomapEvents.instances.push(this);
  }

  GeomapEvents.instances = []; // for tests and the console

  GeomapEvents.prototype = {
    size: function () {
      return this.data.events.length;
    },

    /** Replace every event (the landing page, after each fetch). */
    setData: function (data) {
      var self = this;
      this.data = data;
      this.cluster.clearLayers();
      this.markers = new Array(data.events.length);
      this.shown = new Uint8Array(data.events.length);
      this.days = data.events.map(function (e) { return dayRange(e[EV_DATE]); });
      this.features = data.events.map(function (e, i) {
        var place = data.places[e[EV_PLACE]];
        return {
          type: "Feature",
          properties: { i: i },
          geometry: { type: "Point", coordinates: [place[3], place[4]] },
        };
      });
      this.facets.forEach(function (facet) { facet.counts = new Int32Array(self.size()); });
      this.refresh();
    },

    /** A new family of layers (see Facet). */
    facet: function () {
      var facet = new Facet(this);
      this.facets.push(facet);
      return facet;
    },

    /** The features of the events whose `kind` (type, actor, article) is one of `values`;
     * -1 stands for "no actor named". */
    members: function (kind, values) {
      var column = COLUMNS[kind], wanted = {}, features = this.features;
      values.forEach(function (v) { wanted[v] = true; });
      return this.data.events
        .map(function (e, i) {
          var v = e[column];
          var hit = Array.isArray(v)
            ? (v.length ? v.some(function (x) { return wanted[x]; }) : wanted[-1])
            : wanted[v];
          return hit ? features[i] : null;
        })
        .filter(Boolean);
    },

    /** L.geoJSON options that draw every feature with its one shared marker. */
    geoJsonOptions: function () {
      var self = this;
      return { pointToLayer: function (feature) { return self.marker(feature.properties.i); } };
    },

    marker: function (i) {
      var self = this;
      if (this.markers[i]) return this.markers[i];
      var e = this.data.events[i], place = this.data.places[e[EV_PLACE]];
      var outline = place[5] != null && this.data.outlines ? this.data.outlines[place[5]] : null;
      var marker = outline
        ? this.outline(e, outline)
        : L.marker([place[4], place[3]], { icon: this.icon(e), keyboard: false });
      marker.gmIndex = i;
      marker.bindPopup(function () { return self.popup(i); }, { maxWidth: 420, minWidth: 240 });
      marker.bindTooltip(function () {
        return document.createTextNode(place[1] + ": " + self.data.types[e[EV_TYPE]][1]);
      });
      marker.on("add", function () { marker.getElement().setAttribute("data-event", e[EV_ID]); });
      this.markers[i] = marker;
      return marker;
    },

    /** A governorate outline in the first actor's colour (dashed: an area, not a spot);
     * the cluster group keeps it apart from the markers it clusters. */
    outline: function (e, geometry) {
      var colour = e[EV_ACTORS].length ? safeColour(this.data.actors[e[EV_ACTORS][0]][2]) : NEUTRAL;
      return L.geoJSON(geometry, {
        style: {
          color: colour, weight: 2, dashArray: "6 4", fillColor: colour, fillOpacity: 0.06,
          className: "gm-marker gm-outline",
        },
      }).getLayers()[0];
    },

    /** A round badge: the actors' colours as a ring, the first one as the fill (white
     * when the place is only a governorate or a country), the event type's icon inside. */
    icon: function (e) {
      var self = this;
      var colours = e[EV_ACTORS].map(function (a) { return safeColour(self.data.actors[a][2]); });
      if (!colours.length) colours = [NEUTRAL];
      var hollow = e[EV_PREC] >= 3;
      var key = e[EV_TYPE] + colours.join("") + hollow;
      if (this._icons[key]) return this._icons[key];
      var type = this.data.types[e[EV_TYPE]];
      var ring = 2 * Math.PI * 11, arc = ring / colours.length;
      var svg = '<svg width="26" height="26" viewBox="0 0 26 26" aria-hidden="true">';
      colours.forEach(function (c, j) {
        svg += '<circle cx="13" cy="13" r="11" fill="none" stroke-width="3" stroke="' + c +
          '" stroke-dasharray="' + arc.toFixed(2) + " " + ring.toFixed(2) +
          '" stroke-dashoffset="' + (-j * arc).toFixed(2) + '" transform="rotate(-90 13 13)"/>';
      });
      svg += '<circle cx="13" cy="13" r="9" fill="' + (hollow ? "#ffffff" : colours[0]) + '"/>';
      if (SVG_PATH.test(type[4]) && type[2] > 0 && type[3] > 0) {
        svg += '<svg x="7" y="7" width="12" height="12" viewBox="0 0 ' + Number(type[2]) + " " +
          Number(type[3]) + '"><path fill="' + (hollow ? colours[0] : inkOn(colours[0])) +
          '" d="' + type[4] + '"/></svg>';
      }
      svg += "</svg>";
      var icon = L.divIcon({
        html: svg,
        className: "gm-marker" + (hollow ? " gm-hollow" : ""),
        iconSize: [26, 26],
        iconAnchor: [13, 13],
        popupAnchor: [0, -11],
        tooltipAnchor: [11, 0],
      });
      this._icons[key] = icon;
      return icon;
    },

    /** The popup of event i: filled at once from the blob, or when its details arrive. */
    popup: function (i) {
      var self = this, data = this.data, e = data.events[i];
      var place = data.places[e[EV_PLACE]], type = data.types[e[EV_TYPE]];
      var box = el("div", "gm-popup");
      box.appendChild(el("div", "gm-popup-head", [
        el("b", null, [type[1]]), " · ", place[1], " ", el("small", null, ["(" + place[2] + ")"]),
        " · ", e[EV_DATE] || el("i", null, ["date not given"]),
      ]));
      if (e[EV_PREC] >= 3) {
        box.appendChild(el("div", "gm-approx", ["Approximate location: the " + place[2] +
          " as a whole"]));
      }
      var chips = el("div", "gm-chips");
      e[EV_ACTORS].forEach(function (a) {
        var chip = el("span", "gm-chip", [data.actors[a][1]]);
        chip.style.borderColor = safeColour(data.actors[a][2]);
        chips.appendChild(chip);
      });
      if (!e[EV_ACTORS].length) chips.appendChild(el("i", null, ["no actor named"]));
      box.appendChild(chips);
      var quote = el("blockquote", "gm-sentence", ["…"]);
      box.appendChild(quote);
      var list = el("ol");
      e[EV_ARTICLES].forEach(function (a) {
        var art = data.articles[a], url = safeUrl(art[3]);
        var title = el(url ? "a" : "span", null, [art[1] || "Untitled"]);
        if (url) {
          title.href = url;
          title.target = "_blank";
          title.rel = "noopener noreferrer";
        }
        var meta = [art[2], art[4]].filter(Boolean).join(", ");
        list.appendChild(el("li", null, [title, meta ? " — " + meta : null]));
      });
      box.appendChild(el("div", "gm-sources", [
        el("b", null, ["Sources (" + e[EV_ARTICLES].length + ")"]), list,
      ]));
      var marker = this.markers[i];
      var fill = function (detail) {
        quote.textContent = "";
        self.sentence(quote, detail[0], detail[1]);
      };
      if (data.details) {
        fill(data.details[i]);
      } else if (this.options.detailsUrl) {
        var detailsUrl = this.options.detailsUrl + encodeURIComponent(e[EV_ID]);
        fetch(detailsUrl, { credentials: "same-origin" })
          .then(function (r) {
            if (!r.ok) throw new Error("HTTP " + r.status);
            return r.json();
          })
          .then(function (detail) {
            fill(detail);
            // the finished box replaces the builder, so the popup lays itself out again
            // (and a second opening shows it without asking the server again)
            marker.getPopup().setContent(box);
          })
          .catch(function () { quote.textContent = "(the sentence could not be loaded)"; });
      }
      return box;
    },

    /** The sentence as text, with the place and the actors marked. */
    sentence: function (node, text, marks) {
      var at = 0, actors = {};
      this.data.actors.forEach(function (a) { actors[a[0]] = a; });
      (marks || []).forEach(function (m) {
        if (m[0] < at) return;
        node.appendChild(document.createTextNode(text.slice(at, m[0])));
        var mark = el("mark", m[2] ? "gm-actor" : "gm-place", [text.slice(m[0], m[1])]);
        if (m[2]) {
          mark.style.borderColor = safeColour(actors[m[2]] ? actors[m[2]][2] : null);
          if (actors[m[2]]) mark.title = actors[m[2]][1];
        }
        node.appendChild(mark);
        at = m[1];
      });
      node.appendChild(document.createTextNode(text.slice(at)));
    },

    /** Mark event i for a visibility check (batched until the current script ends). */
    touch: function (i) {
      var self = this;
      if (!this._dirty) {
        this._dirty = [];
        Promise.resolve().then(function () { self.flush(); });
      }
      this._dirty.push(i);
    },

    refresh: function () {
      for (var i = 0; i < this.size(); i++) this.touch(i);
    },

    visible: function (i) {
      for (var f = 0; f < this.facets.length; f++) {
        if (!this.facets[f].counts[i]) return false;
      }
      var days = this.days[i];
      if (!days) return this.undated;
      return !this.window || (days[1] >= this.window[0] && days[0] <= this.window[1]);
    },

    flush: function () {
      var dirty = this._dirty || [], add = [], remove = [];
      this._dirty = null;
      for (var k = 0; k < dirty.length; k++) {
        var i = dirty[k], want = this.visible(i) ? 1 : 0;
        if (want === this.shown[i]) continue;
        this.shown[i] = want;
        (want ? add : remove).push(this.marker(i));
      }
      if (remove.length) this.cluster.removeLayers(remove);
      if (add.length) this.cluster.addLayers(add);
      this._listeners.forEach(function (fn) { fn(); });
    },

    /** Call fn after every change of what is drawn. */
    onChange: function (fn) {
      this._listeners.push(fn);
      fn();
    },

    shownCount: function () {
      var n = 0;
      for (var i = 0; i < this.shown.length; i++) n += this.shown[i];
      return n;
    },

    /** Show only events whose dates meet [firstDay, lastDay] (days since 1970; null for
     * every date); `undated` says whether events without a date stay. */
    setWindow: function (days, undated) {
      this.window = days;
      this.undated = undated;
      this.refresh();
    },

    /** Redraw `layer` from the events drawn, while it is on the map. */
    _follow: function (layer, draw) {
      var self = this;
      var redraw = function () {
        if (self.map.hasLayer(layer)) draw(self.shownPlaces());
      };
      layer.on("add", redraw);
      this.onChange(redraw);
    },

    /** Place index -> number of events drawn there. */
    shownPlaces: function () {
      var counts = {};
      for (var i = 0; i < this.shown.length; i++) {
        if (!this.shown[i]) continue;
        var p = this.data.events[i][EV_PLACE];
        counts[p] = (counts[p] || 0) + 1;
      }
      return counts;
    },

    /** The heat layer shows the events drawn, weighed by how many share a place. */
    bindHeat: function (heat) {
      var self = this;
      this._follow(heat, function (counts) {
        var most = 1;
        var points = Object.keys(counts).map(function (j) {
          var p = self.data.places[j];
          most = Math.max(most, counts[j]);
          return [p[4], p[3], counts[j]];
        });
        heat.setOptions({ max: most }); // leaflet.heat 0.2 saturates at `max` (default 1)
        heat.setLatLngs(points);
      });
    },

    /** The gazetteer layer: a circle per place with events drawn, its area proportional
     * to their number. */
    bindPlaces: function (group) {
      var self = this;
      this._follow(group, function (counts) {
        group.clearLayers();
        Object.keys(counts).forEach(function (j) {
          var p = self.data.places[j], n = counts[j];
          var circle = L.circleMarker([p[4], p[3]], {
            radius: 4 + 3 * Math.sqrt(n), color: "#3d4852", weight: 1, fillColor: "#7cc4fa",
            fillOpacity: 0.45, className: "gm-place-circle",
          });
          circle.bindTooltip(function () {
            return document.createTextNode(p[1] + " (" + p[2] + "): " + n +
              (n > 1 ? " events" : " event"));
          });
          group.addLayer(circle);
        });
      });
    },

    /** The first and last days of the dated events, or null. */
    dayBounds: function () {
      var lo = Infinity, hi = -Infinity;
      this.days.forEach(function (d) {
        if (!d) return;
        lo = Math.min(lo, d[0]);
        hi = Math.max(hi, d[1]);
      });
      return lo <= hi ? [lo, hi] : null;
    },

    /** Zoom until event `id` is out of its cluster, then open its popup. */
    open: function (id) {
      var self = this;
      var i = this.data.events.findIndex(function (e) { return e[EV_ID] === id; });
      if (i < 0 || !this.shown[i]) return Promise.resolve(false);
      var layer = self.marker(i);
      if (!layer.getLatLng) { // an outline: frame it
        this.map.fitBounds(layer.getBounds(), { maxZoom: 9 });
        layer.openPopup();
        return Promise.resolve(true);
      }
      return new Promise(function (resolve) {
        var marker = self.marker(i), done = false, asked = 0;
        function show() {
          if (done) return;
          done = true;
          marker.openPopup();
          resolve(true);
        }
        // markercluster calls back on the map's moveend, which never comes when the view
        // needs no move (or moved mid-animation): ask again once the view has settled
        (function ask() {
          if (done) return;
          if (asked++ === 4) return resolve(false);
          self.cluster.zoomToShowLayer(marker, show);
          setTimeout(ask, 1500);
        })();
      });
    },
  };

  /**
   * How many events are drawn, and (when some carry dates) the time window: two sliders,
   * from and to, and whether undated events stay.
   */
  var StatusControl = L.Control.extend({
    options: { position: "bottomleft" },

    initialize: function (events, options) {
      L.Util.setOptions(this, options);
      this._events = events;
    },

    onAdd: function () {
      var events = this._events, box = el("div", "leaflet-control gm-status");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var count = el("div", "gm-status-count");
      box.appendChild(count);
      box.appendChild(el("div", "gm-status-note", [
        "Hollow markers: only the governorate or country is known.",
      ]));
      var bounds = events.dayBounds();
      if (bounds) box.appendChild(this._timeWindow(bounds));
      events.onChange(function () {
        var shown = events.shownCount();
        count.setAttribute("data-shown", shown);
        count.textContent = "Showing " + shown.toLocaleString("en") + " of " +
          events.size().toLocaleString("en") + " events";
      });
      return box;
    },

    _timeWindow: function (bounds) {
      var events = this._events;
      var undatedCount = events.days.filter(function (d) { return !d; }).length;
      var slider = function (name, value) {
        var input = el("input", "gm-time-" + name);
        input.type = "range";
        input.min = bounds[0];
        input.max = bounds[1];
        input.step = 1;
        input.value = value;
        input.setAttribute("aria-label", name === "from" ? "First day shown" : "Last day shown");
        return input;
      };
      var from = slider("from", bounds[0]), to = slider("to", bounds[1]);
      var fromText = el("output", "gm-time-label"), toText = el("output", "gm-time-label");
      var undated = el("input", "gm-time-undated");
      undated.type = "checkbox";
      undated.checked = true;
      var apply = function (moved) {
        var lo = Number(from.value), hi = Number(to.value);
        if (lo > hi) {
          if (moved === from) to.value = lo;
          else from.value = hi;
          lo = Number(from.value);
          hi = Number(to.value);
        }
        fromText.textContent = isoDay(lo);
        toText.textContent = isoDay(hi);
        var all = lo <= bounds[0] && hi >= bounds[1];
        events.setWindow(all ? null : [lo, hi], undated.checked);
      };
      [from, to, undated].forEach(function (input) {
        L.DomEvent.on(input, "input change", function () { apply(input); });
      });
      apply(null);
      return el("div", "gm-time", [
        el("div", "gm-time-title", ["Time window"]),
        el("label", null, ["From ", fromText, from]),
        el("label", null, ["To ", toText, to]),
        el("label", "gm-time-undated-label", [undated, " undated events (" + undatedCount + ")"]),
      ]);
    },
  });

  /**
   * Keep a grouped layer control's group checkboxes true to their layers (checked when
   * every layer of the group is on), since the control draws them all unchecked. The
   * plugin (leaflet-groupedlayercontrol 0.6) has no public API for this: it reads the
   * control's form and layer list.
   */
  function syncGroupCheckboxes(control, map) {
    var sync = function () {
      var form = control._form;
      if (!form) return;
      var boxes = form.querySelectorAll(".leaflet-control-layers-group-selector");
      Array.prototype.forEach.call(boxes, function (box) {
        var layers = control._layers.filter(function (l) {
          return l && l.group.id === box.groupID;
        });
        box.checked = layers.length > 0 &&
          layers.every(function (l) { return map.hasLayer(l.layer); });
      });
    };
    var pending = false;
    map.on("overlayadd overlayremove", function () {
      if (pending) return;
      pending = true;
      setTimeout(function () {
        pending = false;
        sync();
      }, 0);
    });
    sync();
  }

  root.GeomapEvents = GeomapEvents;
  root.geomapEvents = function (map, cluster, data, options) {
    return new GeomapEvents(map, cluster, data, options);
  };
  root.geomapStatusControl = function (events, options) {
    return new StatusControl(events, options);
  };
  root.geomapSyncGroupCheckboxes = syncGroupCheckboxes;
  root.geomapDayRange = dayRange;
})(window);
