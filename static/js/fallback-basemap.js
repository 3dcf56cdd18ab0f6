/*
 * geomap offline basemap.
 *
 * Why: the map's tile layers come from the internet. With no network the analyst
 * would see markers floating on a blank canvas. This draws Natural Earth country
 * outlines (npm `world-atlas`, served by geomap under /static/vendor/) in a pane
 * *below* the tile pane: online, tiles cover it; offline, it is the basemap.
 *
 * Needs, loaded before this file: Leaflet (`L`) and topojson-client (`topojson`).
 * Plain browser script, no build step, no external URLs.
 *
 *   var outlines = geomapFallbackBasemap(map);             // 110m outlines, added at once
 *   geomapAddFallbackToControl(layerControl, outlines);    // optional: toggle in the control
 *
 * A standalone map file passes the TopoJSON itself instead of its URL (no server to ask).
 */
(function (root) {
  "use strict";

  var DEFAULT_TOPO_URL = "/static/vendor/world-atlas/countries-110m.json";
  var PANE = "geomapFallbackPane";
  var PANE_Z_INDEX = 150; // Leaflet's tilePane is 200: tiles, when they load, hide the outlines.
  var DEFAULT_STYLE = {
    color: "#8d949e", // country borders and coasts
    weight: 0.7,
    opacity: 1,
    fillColor: "#f3f1ec", // land
    fillOpacity: 1,
  };
  var DEFAULT_SEA = "#cfe2ee";

  /**
   * Make every ring's longitudes continuous.
   *
   * Why: world-atlas cuts Russia, Fiji and Antarctica at ±180°; drawn on a plane,
   * the jump from +180 to -180 would streak a line across the whole map.
   */
  function unwrapRing(ring) {
    var shift = 0;
    var out = [];
    for (var i = 0; i < ring.length; i++) {
      var lon = ring[i][0];
      if (i > 0) {
        var prev = ring[i - 1][0];
        if (lon - prev > 180) shift -= 360;
        else if (prev - lon > 180) shift += 360;
      }
      out.push([lon + shift, ring[i][1]]);
    }
    return out;
  }

  function unwrapGeometry(geometry) {
    if (!geometry) return geometry;
    if (geometry.type === "Polygon") {
      return { type: "Polygon", coordinates: geometry.coordinates.map(unwrapRing) };
    }
    if (geometry.type === "MultiPolygon") {
      return {
        type: "MultiPolygon",
        coordinates: geometry.coordinates.map(function (polygon) {
          return polygon.map(unwrapRing);
        }),
      };
    }
    return geometry;
  }

  function ensurePane(map) {
    var pane = map.getPane(PANE) || map.createPane(PANE);
    pane.style.zIndex = String(PANE_Z_INDEX);
    pane.style.pointerEvents = "none";
    return pane;
  }

  /**
   * Add the offline country outlines to `map` and return the (initially empty) layer.
   *
   * `topo` is the TopoJSON's URL (default: the world-atlas file geomap serves) or the
   * TopoJSON object itself. The layer is returned at once so it can go into a layer
   * control; it fills when the TopoJSON arrives. `layer.ready` is a Promise resolving to
   * the layer (never rejects: a failed fetch only warns, the map works without outlines).
   *
   * options: {style, sea (CSS colour for the map background, null to leave it), add (false
   * to not add the layer to the map)}.
   */
  function geomapFallbackBasemap(map, topo, options) {
    if (typeof L === "undefined") throw new Error("geomapFallbackBasemap: load Leaflet first");
    var opts = options || {};
    var url = typeof topo === "string" ? topo : DEFAULT_TOPO_URL;
    ensurePane(map);

    var container = map.getContainer();
    container.classList.add("geomap-offline-basemap");
    var sea = opts.sea === undefined ? DEFAULT_SEA : opts.sea;
    if (sea) container.style.backgroundColor = sea;

    var layer = L.geoJSON(null, {
      pane: PANE,
      interactive: false, // no hover/click, and no `leaflet-interactive` class on the paths
      style: Object.assign({}, DEFAULT_STYLE, opts.style || {}),
      attribution: "Natural Earth",
    });
    if (opts.add !== false) layer.addTo(map);

    var loaded =
      topo && typeof topo === "object"
        ? Promise.resolve(topo)
        : fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (!response.ok) throw new Error("HTTP " + response.status + " for " + url);
            return response.json();
          });
    layer.ready = loaded
      .then(function (topology) {
        if (typeof root.topojson === "undefined") {
          throw new Error("topojson-client is not loaded");
        }
        var object = topology.objects.countries || topology.objects.land;
        var collection = root.topojson.feature(topology, object);
        var features = collection.features || [collection];
        features.forEach(function (feature) {
          feature.geometry = unwrapGeometry(feature.geometry);
        });
        layer.addData(collection);
        return layer;
      })
      .catch(function (error) {
        if (root.console) root.console.warn("geomap offline basemap unavailable:", error);
        return layer;
      });
    return layer;
  }

  /**
   * List the outlines in a Leaflet layers control, as an overlay (a checkbox), so they
   * can stay under the tiles as a safety net. `group` names the group of a grouped
   * layer control (leaflet-groupedlayercontrol); a plain control ignores it.
   */
  function geomapAddFallbackToControl(control, layer, name, group) {
    control.addOverlay(layer, name || "Offline outlines", group);
    return control;
  }

  root.geomapFallbackBasemap = geomapFallbackBasemap;
  root.geomapAddFallbackToControl = geomapAddFallbackToControl;
})(typeof window !== "undefined" ? window : this);
