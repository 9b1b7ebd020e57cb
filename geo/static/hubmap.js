/*
 * HubMap: drawing helpers for the offline maps written by geo/maps.py (geo-hubs-kr, MIT).
 *
 * Every text that comes from data goes through esc() before it reaches innerHTML (popups,
 * tooltips, legend, attribution, search list). Geometry arrives as quantised, delta-encoded
 * rings (see geo/maps.py `_encode_polygons`) and is decoded here once per map.
 */
(function () {
  'use strict';

  var HM = { maps: [], data: [], registry: [] };
  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

  function esc(v) {
    if (v === null || v === undefined) { return ''; }
    return String(v).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }
  HM.esc = esc;

  // Narrow screens (phones): controls start closed and open one at a time.
  var NARROW = 640;
  function narrow() { return (window.innerWidth || 1024) < NARROW; }

  // keep popups clear of the control panel (right on a wide screen, top on a phone)
  function popupOptions(w) {
    if (narrow()) {
      return { maxWidth: Math.min(w, (window.innerWidth || 360) - 40), maxHeight: 360,
        autoPanPaddingTopLeft: [10, 150], autoPanPaddingBottomRight: [10, 30] };
    }
    return { maxWidth: w, maxHeight: 440, autoPanPaddingTopLeft: [60, 20], autoPanPaddingBottomRight: [330, 30] };
  }

  function isNum(v) { return typeof v === 'number' && isFinite(v); }

  function fmt(v, d) {
    if (v === null || v === undefined || (typeof v === 'number' && !isFinite(v))) { return '—'; }
    if (typeof v !== 'number') { return String(v); }
    if (d === undefined || d === null) {
      var a = Math.abs(v);
      d = a >= 1000 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    }
    return v.toLocaleString('en-US', { maximumFractionDigits: d });
  }
  HM.fmt = fmt;

  function bi(ko, en) {
    return esc(ko) + (en ? ' <span class="hm-en">' + esc(en) + '</span>' : '');
  }

  function decodeLine(flat, q) {
    var out = [], x = 0, y = 0;
    for (var i = 0; i < flat.length; i += 2) {
      x += flat[i]; y += flat[i + 1];
      out.push([x / q, y / q]);
    }
    return out;
  }

  function closeRing(r) { r.push([r[0][0], r[0][1]]); return r; }

  /* Decode the payload of one map: features (GeoJSON), lookup by region code. */
  HM.load = function (p) {
    var q = p.q;
    p.features = p.regions.map(function (r) {
      var props = { code: r.c };
      p.cols.forEach(function (c, j) { props[c] = r.v[j]; });
      // display names: same-named 구 carry their 시도 (북구(대구)); others are their name
      props.dn_ko = props.dn_ko || props.name_ko;
      props.dn_en = props.dn_en || props.name_en;
      return {
        type: 'Feature', properties: props, rp: r.rp,
        geometry: {
          type: 'MultiPolygon',
          coordinates: r.g.map(function (poly) {
            return poly.map(function (ring) { return closeRing(decodeLine(ring, q)); });
          })
        }
      };
    });
    p.byCode = {};
    p.features.forEach(function (f) { p.byCode[f.properties.code] = f; });
    delete p.regions;
    HM.data.push(p);
    return p;
  };

  /* A collapsible section of the control panel; returns its body. */
  function section(panel, key, ko, en, open) {
    var sec = L.DomUtil.create('section', 'hm-sec hm-sec-' + key + (open ? ' hm-open' : ''), panel.el);
    var head = L.DomUtil.create('button', 'hm-sec-head', sec);
    head.type = 'button';
    head.innerHTML = bi(ko, en);
    head.setAttribute('aria-expanded', open ? 'true' : 'false');
    var body = L.DomUtil.create('div', 'hm-sec-body', sec);
    L.DomEvent.on(head, 'click', function () { panel.toggle(key); });
    panel.sections[key] = { el: sec, head: head, body: body };
    return body;
  }

  /* One map-wide setup: panes that keep outlines and links above whichever base layer is on,
     and one panel (title, search, layers, legend, sources) in a single column, so controls
     never overlap; the sources sit behind a one-line credit. */
  HM.setup = function (map, opts) {
    HM.maps.push(map);
    [['hmLisa', 410], ['hmOutline', 420], ['hmLinks', 430]].forEach(function (pz) {
      map.createPane(pz[0]).style.zIndex = pz[1];
    });
    map.getPane('hmOutline').style.pointerEvents = 'none';
    map.getPane('hmLinks').style.pointerEvents = 'none';
    map.setMinZoom(5);
    map.setMaxZoom(16);
    var small = narrow();
    L.DomUtil.addClass(map.getContainer(), small ? 'hm-narrow' : 'hm-wide');
    var panel = { sections: {}, opts: opts };
    panel.section = function (key, ko, en, open) {
      var body = section(panel, key, ko, en, open);
      // keep the sources last
      if (panel.sections.sources && key !== 'sources') { panel.el.appendChild(panel.sections.sources.el); }
      return body;
    };
    panel.toggle = function (key, force) {
      Object.keys(panel.sections).forEach(function (k) {
        var s = panel.sections[k], open = k === key ? (force === undefined ? !L.DomUtil.hasClass(s.el, 'hm-open') : force)
          : (narrow() ? false : L.DomUtil.hasClass(s.el, 'hm-open'));
        if (open) { L.DomUtil.addClass(s.el, 'hm-open'); } else { L.DomUtil.removeClass(s.el, 'hm-open'); }
        s.head.setAttribute('aria-expanded', open ? 'true' : 'false');
      });
    };
    var ctl = L.control({ position: 'topright' });
    ctl.onAdd = function () {
      var d = L.DomUtil.create('div', 'hm-panel');
      panel.el = d;
      var t = L.DomUtil.create('div', 'hm-title-box', d);
      t.innerHTML = esc(opts.title);
      panel.search = L.DomUtil.create('div', 'hm-search-slot', d);
      panel.layers = section(panel, 'layers', '레이어', 'Layers', !small);
      panel.legend = section(panel, 'legend', '범례', 'Legend', !small);
      var src = section(panel, 'sources', '출처', 'Sources', false);
      var list = '<ul class="hm-sources">' + (opts.attributions || []).map(function (a) { return '<li>' + esc(a) + '</li>'; }).join('') + '</ul>';
      src.innerHTML = list + '<div class="hm-small">지도 라이브러리 · map library: Leaflet 1.9.4 (BSD-2-Clause)</div>';
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      return d;
    };
    ctl.addTo(map);
    map.hmPanel = panel;
    // one-line credit; the full list is the panel's "Sources" section
    var n = (opts.attributions || []).length;
    map.attributionControl.setPrefix('<a href="#" class="hm-src-toggle">출처 · Sources</a>' +
      (n ? ' ' + esc(opts.credit || '') : '') + ' | Leaflet');
    L.DomEvent.on(map.attributionControl.getContainer(), 'click', function (e) {
      var t = e.target || e.srcElement;
      if (t && L.DomUtil.hasClass(t, 'hm-src-toggle')) {
        L.DomEvent.preventDefault(e);
        panel.toggle('sources', true);
        fitPanel(map);
      }
    });
    map.hmBounds = opts.bounds;
    return map;
  };

  /* Panel height within the map (above the credit line) and the view padding it implies. */
  function fitPanel(map) {
    var panel = map.hmPanel, size = map.getSize();
    var attr = map.attributionControl.getContainer();
    var bottom = Math.max(attr.offsetHeight, 24) + 16;
    panel.el.style.maxHeight = Math.max(120, size.y - 10 - bottom) + 'px';
    var cr = map.getContainer().getBoundingClientRect(), pr = panel.el.getBoundingClientRect();
    var side = cr.right - pr.left + 12;
    var scale = map.getContainer().querySelector('.leaflet-control-scale');
    var sb = Math.max(bottom, scale ? cr.bottom - scale.getBoundingClientRect().top + 8 : 0);
    if (size.x - side >= 0.55 * size.x) {
      map.hmPad = { paddingTopLeft: [56, 16], paddingBottomRight: [side, sb] };
    } else {  // phone: the panel spans the top, the country goes below it
      map.hmPad = { paddingTopLeft: [12, pr.bottom - cr.top + 12], paddingBottomRight: [12, sb] };
    }
    return map.hmPad;
  }

  /* After every control exists: move the layer list into the panel, size it, fit the view. */
  HM.layout = function (map) {
    var panel = map.hmPanel, lc = map.getContainer().querySelector('.leaflet-control-layers');
    if (lc) { panel.layers.appendChild(lc); }
    var pad = fitPanel(map);
    // no animation: the view is final as soon as the page has run its scripts
    map.fitBounds(map.hmBounds, { paddingTopLeft: pad.paddingTopLeft, paddingBottomRight: pad.paddingBottomRight, animate: false });
    map.on('resize', function () { fitPanel(map); });
    HM.printable(map);
    return map;
  };

  /* Printing (the browser's print or the print button): an A4 landscape page with the whole
     country, the title, the legend and the sources, and no controls; the view comes back after. */
  HM.printable = function (map) {
    var saved = null, body = document.body;
    function before() {
      if (saved) { return; }
      saved = { center: map.getCenter(), zoom: map.getZoom() };
      L.DomUtil.addClass(body, 'hm-printing');
      map.invalidateSize({ animate: false });
      var pad = fitPanel(map);
      map.fitBounds(map.hmBounds, { paddingTopLeft: [10, 10], paddingBottomRight: pad.paddingBottomRight, animate: false });
    }
    function after() {
      if (!saved) { return; }
      L.DomUtil.removeClass(body, 'hm-printing');
      map.invalidateSize({ animate: false });
      fitPanel(map);
      map.setView(saved.center, saved.zoom, { animate: false });
      saved = null;
    }
    window.addEventListener('beforeprint', before);
    window.addEventListener('afterprint', after);
    var c = L.control({ position: 'topleft' });
    c.onAdd = function () {
      var d = L.DomUtil.create('div', 'leaflet-bar hm-print-btn');
      var a = L.DomUtil.create('a', '', d);
      a.href = '#'; a.title = '인쇄 (A4 가로) · Print (A4 landscape)'; a.setAttribute('role', 'button');
      a.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true"><path d="M4 1h8v4H4zM2 6h12a1 1 0 0 1 1 1v5h-3v3H4v-3H1V7a1 1 0 0 1 1-1zm3 5v3h6v-3z" fill="#333"/></svg>';
      L.DomEvent.on(a, 'click', function (e) { L.DomEvent.preventDefault(e); before(); window.print(); });
      L.DomEvent.disableClickPropagation(d);
      return d;
    };
    c.addTo(map);
    HM.beforePrint = before;
    HM.afterPrint = after;
  };

  function regionPopup(p, f) {
    var a = f.properties, h = '<div class="hm-pop">';
    h += '<div class="hm-name">' + esc(a.dn_ko) + (a.dn_en ? ' <span class="hm-en">' + esc(a.dn_en) + '</span>' : '') + '</div>';
    var sub = (p.sub || []).map(function (c) { return a[c]; }).filter(function (v) { return v !== null && v !== undefined && v !== ''; });
    sub.push(a.code);
    h += '<div class="hm-sub">' + sub.map(esc).join(' · ') + '</div><table class="hm-tab">';
    (p.rows || []).forEach(function (r) {
      var v = a[r.c];
      if (r.kind === 'head') {
        h += '<tr class="hm-sep"><th colspan="2">' + bi(r.ko, r.en) + '</th></tr>';
      } else if (r.kind === 'rank') {
        var iv = '';
        if (isNum(a.rank_p05) && isNum(a.rank_p95)) {
          iv = ' <span class="hm-small">(5–95 %: ' + esc(fmt(a.rank_p05, 0)) + '–' + esc(fmt(a.rank_p95, 0));
          if (isNum(a.rank_p50)) { iv += ', 중앙 median ' + esc(fmt(a.rank_p50, 0)); }
          iv += ')</span>';
        }
        h += '<tr><th>' + bi(r.ko, r.en) + '</th><td>' + esc(fmt(v, 0)) + ' / ' + esc(p.n) + iv + '</td></tr>';
      } else if (r.kind === 'label') {
        if (v !== null && v !== undefined && v !== '') {
          var lab = (r.labels && r.labels[v]) || [v, ''];
          h += '<tr><th>' + bi(r.ko, r.en) + '</th><td>' + bi(lab[0], lab[1]) + '</td></tr>';
        }
      } else if (r.kind === 'hub') {
        var hub = a.hub_code ? p.byCode[a.hub_code] : null;
        if (hub) {
          var hp = hub.properties, t = bi(hp.dn_ko, hp.dn_en);
          if (a.hub_code === a.code) { t += ' <span class="hm-small">(거점 자신 · the hub itself)</span>'; }
          else if (isNum(a.distance_km)) {
            t += ' <span class="hm-small">' + esc(fmt(a.distance_km, 1)) + ' km' +
              (a.covered === false ? ', 도달거리 밖 · beyond reach' : '') + '</span>';
          }
          h += '<tr><th>' + bi(r.ko, r.en) + '</th><td>' + t + '</td></tr>';
        }
      } else {
        h += '<tr><th>' + bi(r.ko, r.en) + '</th><td>' + esc(fmt(v, r.d)) + (r.unit && isNum(v) ? ' ' + esc(r.unit) : '') +
          (r.src ? '<div class="hm-src"' + (r.file ? ' title="' + esc(r.file) + '"' : '') + '>' + esc(r.src) + '</div>' : '') + '</td></tr>';
      }
    });
    return h + '</table></div>';
  }
  HM.regionPopup = regionPopup;

  function colorFor(v, spec) {
    if (!isNum(v)) { return spec.nodata_color; }
    var b = spec.breaks;
    for (var i = 0; i < spec.colors.length; i++) {
      if (v <= b[i + 1]) { return spec.colors[i]; }
    }
    return spec.colors[spec.colors.length - 1];
  }

  function legendHTML(spec) {
    var h = '<div class="hm-leg">' + (spec.title_ko ? '<div class="hm-leg-title">' + bi(spec.title_ko, spec.title_en) + '</div>' : '');
    if (spec.unit) { h += '<div class="hm-leg-unit">' + esc(spec.unit) + '</div>'; }
    (spec.items || []).forEach(function (it) {
      h += '<div class="hm-leg-row"><i class="hm-sw ' + esc(it.cls || '') + '" style="background:' + esc(it.color || 'transparent') +
        ';border-color:' + esc(it.border || it.color || '#666') + '">' + (it.sym ? esc(it.sym) : '') + '</i><span>' + bi(it.ko, it.en) + '</span></div>';
    });
    if (spec.source) { h += '<div class="hm-src">' + esc(spec.source) + '</div>'; }
    return h + '</div>';
  }

  // the legend is rendered from the spec each time, so a change of classes shows at once
  function register(layer, spec) {
    HM.registry.push({ layer: layer, spec: spec, html: function () { return legendHTML(spec); } });
  }
  HM.register = register;

  function bounds(f) {
    var b = L.latLngBounds([]);
    f.geometry.coordinates.forEach(function (poly) {
      poly[0].forEach(function (c) { b.extend([c[1], c[0]]); });
    });
    return b;
  }

  function regionLayer(p, opts, style) {
    var byCode = {};
    var lyr = L.geoJSON(p.features, {
      className: opts.className, pane: opts.pane || 'overlayPane', filter: opts.filter,
      style: style,
      onEachFeature: function (f, l) {
        byCode[f.properties.code] = l;
        l.bindPopup(function () { return regionPopup(p, f); }, popupOptions(380));
        l.bindTooltip(function () {
          var a = f.properties, t = '<b>' + esc(a.dn_ko) + '</b>' + (a.dn_en ? ' ' + esc(a.dn_en) : '');
          if (opts.column) { t += '<br>' + bi(opts.ko, opts.en) + ': ' + esc(fmt(a[opts.column], opts.d)); }
          return t;
        }, { sticky: true, direction: 'top', opacity: 0.95 });
        l.on('add', function () {
          var el = l.getElement();
          if (el) { el.setAttribute('data-region', f.properties.code); }
        });
        if (opts.hover) {
          l.on('mouseover', function () { l.setStyle({ weight: 2.5, color: '#222' }); });
          l.on('mouseout', function () { lyr.resetStyle(l); });
        }
      }
    });
    lyr.hmByCode = byCode;
    return lyr;
  }

  /* A choropleth of one column; spec carries breaks, colours and the legend text. */
  HM.choropleth = function (p, spec) {
    var lyr = regionLayer(p, { className: 'hm-region', column: spec.column, ko: spec.title_ko, en: spec.title_en, d: spec.digits, hover: true },
      function (f) {
        return { fillColor: colorFor(f.properties[spec.column], spec), fillOpacity: 0.85, color: '#ffffff', weight: 0.7, opacity: 1 };
      });
    register(lyr, spec);
    return lyr;
  };

  HM.methodNames = { quantile: ['분위수', 'quantiles'], jenks: ['자연 구분', 'natural breaks'], equal: ['등간격', 'equal intervals'] };

  /* Switch every choropleth that offers it to another classification (breaks computed by geo/maps.py). */
  HM.classify = function (map, method) {
    HM.registry.forEach(function (e) {
      var sc = e.spec.schemes && e.spec.schemes[method];
      if (!sc) { return; }
      e.spec.breaks = sc.breaks; e.spec.colors = sc.colors; e.spec.items = sc.items; e.spec.digits = sc.digits;
      e.spec.method = method;
      e.layer.setStyle(e.layer.options.style);
    });
    map.fire('hmclasses');
  };

  /* Local Moran clusters: only the listed classes (e.g. HH, LL) are drawn. */
  HM.clusters = function (p, spec) {
    var lyr = regionLayer(p, {
      className: 'hm-lisa', pane: 'hmLisa',
      filter: function (f) { return spec.styles.hasOwnProperty(f.properties[spec.column]); }
    }, function (f) {
      var s = spec.styles[f.properties[spec.column]];
      return { color: s.border, weight: 2.5, dashArray: s.dash || null, fillColor: s.color, fillOpacity: 0.45, opacity: 1 };
    });
    register(lyr, spec);
    return lyr;
  };

  /* Outlines (e.g. 시도) as non-interactive lines. */
  HM.outlines = function (p, o) {
    var feats = o.lines.map(function (g) {
      return { type: 'Feature', properties: {}, geometry: { type: 'MultiLineString', coordinates: g.map(function (l) { return decodeLine(l, p.q); }) } };
    });
    var lyr = L.geoJSON(feats, { pane: 'hmOutline', interactive: false, className: o.className, style: { color: o.color, weight: o.weight, opacity: 0.9, fill: false } });
    if (o.legend) { register(lyr, o.legend); }
    return lyr;
  };

  /* Place names drawn by the page (no tile server): 시도 at the national view, 시군구 from
     spec.zoom on. Not interactive: clicks reach the regions underneath. */
  HM.labels = function (p, spec) {
    var g = L.layerGroup();
    function label(ll, text, cls) {
      return L.marker(ll, { interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'hm-label ' + cls, html: '<span>' + esc(text) + '</span>', iconSize: [0, 0] }) });
    }
    (spec.sido || []).forEach(function (s) { label([s[0], s[1]], s[2], 'hm-label-sido').addTo(g); });
    p.features.forEach(function (f) { label(f.rp, f.properties.dn_ko, 'hm-label-sgg').addTo(g); });
    function zoomClass(map) {
      var near = map.getZoom() >= spec.zoom, c = map.getContainer();
      L.DomUtil[near ? 'addClass' : 'removeClass'](c, 'hm-zoom-near');
    }
    g.on('add', function () { var map = g._map; if (map) { zoomClass(map); map.on('zoomend', function () { zoomClass(map); }); } });
    return g;
  };

  function hubPopup(p, h) {
    var f = p.byCode[h.c], a = f.properties;
    var s = '<div class="hm-pop"><div class="hm-name">' + (h.robust === 'contested' ? '☆ ' : '★ ') + esc(h.rank) + ' · ' + esc(a.dn_ko) +
      (a.dn_en ? ' <span class="hm-en">' + esc(a.dn_en) + '</span>' : '') + '</div>';
    s += '<div class="hm-sub">거점 Hub · ' + esc(a.code) + '</div><table class="hm-tab">';
    (h.rows || []).forEach(function (r) {
      s += '<tr><th>' + bi(r[0], r[1]) + '</th><td>' + esc(r[2]) + '</td></tr>';
    });
    s += '</table>';
    if (h.ko) { s += '<div class="hm-h">설명</div><div class="hm-text">' + esc(h.ko) + '</div>'; }
    if (h.en) { s += '<div class="hm-h">Explanation</div><div class="hm-text">' + esc(h.en) + '</div>'; }
    s += '<div class="hm-h">연계 지역 <span class="hm-en">Spokes</span> (' + h.spokes.length + ')</div><ul class="hm-spokes">';
    h.spokes.forEach(function (sp) {
      var g = p.byCode[sp[0]].properties;
      s += '<li>' + bi(g.dn_ko, g.dn_en) + (isNum(sp[1]) ? ' <span class="hm-small">' + esc(fmt(sp[1], 1)) + ' km' +
        (sp[2] === false ? ', 도달거리 밖 · beyond reach' : '') + '</span>' : '') + '</li>';
    });
    return s + '</ul></div>';
  }

  /* Hubs as numbered star markers. */
  HM.hubs = function (p, spec) {
    var g = L.featureGroup();
    spec.hubs.forEach(function (h) {
      var f = p.byCode[h.c];
      L.marker(f.rp, {
        icon: L.divIcon({ className: 'hm-hub' + (h.robust === 'contested' ? ' hm-contested' : h.robust === 'core' ? ' hm-core' : ''), html: '<span>' + esc(h.rank) + '</span>', iconSize: [34, 34], iconAnchor: [17, 19] }),
        zIndexOffset: 1000, riseOnHover: true
      }).bindPopup(function () { return hubPopup(p, h); }, popupOptions(380))
        .bindTooltip((h.robust === 'contested' ? '☆ ' : '★ ') + esc(h.rank) + ' ' + esc(f.properties.dn_ko) + ' ' + esc(f.properties.dn_en || ''), { direction: 'top', offset: [0, -14] })
        .addTo(g);
    });
    register(g, spec.legend);
    return g;
  };

  /* Hub → spoke lines. */
  HM.links = function (p, spec) {
    var g = L.featureGroup();
    spec.links.forEach(function (k) {
      var h = p.byCode[k[0]], s = p.byCode[k[1]];
      L.polyline([h.rp, s.rp], {
        pane: 'hmLinks', className: 'hm-link', weight: 1.6, opacity: 0.85, interactive: false,
        color: k[3] === false ? '#6b6b6b' : '#1b1b1b', dashArray: k[3] === false ? '5 5' : null
      }).addTo(g);
    });
    register(g, spec.legend);
    return g;
  };

  /* Point assets into a leaflet.markercluster group. pts: [lat, lon, located(0/1), [values…]]. */
  HM.assets = function (cluster, spec) {
    cluster.options.iconCreateFunction = function (c) {
      return L.divIcon({
        html: '<div style="border-color:' + esc(spec.color) + '"><span>' + c.getChildCount() + '</span></div>',
        className: 'marker-cluster hm-cluster', iconSize: [36, 36]
      });
    };
    var markers = spec.points.map(function (a) {
      var m = L.marker([a[0], a[1]], {
        icon: L.divIcon({ className: 'hm-asset' + (a[2] ? '' : ' hm-approx'), html: '<i style="background:' + esc(spec.color) + '"></i>', iconSize: [14, 14] })
      });
      m.bindPopup(function () {
        var s = '<div class="hm-pop"><div class="hm-sub">' + bi(spec.ko, spec.en) + '</div><div class="hm-name">' + esc(a[3][0]) + '</div><table class="hm-tab">';
        spec.fields.forEach(function (fl, i) {
          var v = a[3][i + 1];
          if (v !== null && v !== undefined && v !== '') { s += '<tr><th>' + bi(fl[0], fl[1]) + '</th><td>' + esc(fmt(v)) + '</td></tr>'; }
        });
        if (!a[2]) { s += '<tr><th colspan="2" class="hm-small">위치 근사(지역 대표점) · approximate location (region point)</th></tr>'; }
        return s + '</table></div>';
      }, popupOptions(320));
      return m;
    });
    cluster.addLayers(markers);
    register(cluster, spec.legend);
    return cluster;
  };

  /* Legend that shows the entries of the layers currently on the map (in the panel). */
  HM.legend = function (map) {
    var box = map.hmPanel.legend;
    var d = L.DomUtil.create('div', 'hm-legend', box);
    function update() {
      d.innerHTML = HM.registry.filter(function (e) { return map.hasLayer(e.layer); })
        .map(function (e) { return e.html(); }).join('');
    }
    map.on('baselayerchange overlayadd overlayremove hmclasses', update);
    var methods = null;
    HM.registry.some(function (e) { methods = e.spec.schemes ? Object.keys(e.spec.schemes) : null; return methods !== null; });
    if (methods) {
      var row = L.DomUtil.create('label', 'hm-classify', box);
      box.insertBefore(row, d);
      row.appendChild(document.createTextNode('분류 · Classes '));
      var sel = L.DomUtil.create('select', '', row);
      methods.forEach(function (m) {
        var o = document.createElement('option');
        o.value = m;
        o.textContent = (HM.methodNames[m] || [m, ''])[0] + ' · ' + (HM.methodNames[m] || [m, ''])[1];
        sel.appendChild(o);
      });
      L.DomEvent.on(sel, 'change', function () { HM.classify(map, sel.value); });
    }
    update();
    return d;
  };

  function norm(v) { return String(v === null || v === undefined ? '' : v).toLowerCase().replace(/[\s\-·,()]/g, ''); }

  /* Search by Korean or English name, with or without the 시도 in any order ("부산 북구",
     "북구 부산", "Buk-gu Busan"); an ambiguous name ("중구") lists the candidates. */
  HM.search = function (map, p, opts) {
    var listId = 'hm-dl-' + HM.maps.indexOf(map);
    var aliases = opts.aliases || {};
    var labels = p.features.map(function (f) {
      var a = f.properties, parts = [a.dn_ko || a.name_ko];
      if (a.name_en) { parts.push(a.dn_en || a.name_en); }
      var where = (opts.where || []).map(function (k) { return a[k]; }).filter(Boolean);
      var hay = [a.name_ko, a.name_en, a.dn_ko, a.dn_en, a.code].concat(where);
      where.forEach(function (w) { hay = hay.concat(aliases[w] || []); });
      return { f: f, label: parts.join(' ') + (where.length ? ' · ' + where.join(' ') : ''), hay: hay.map(norm).filter(Boolean) };
    });
    function scoreOf(x, tokens) {
      var total = 0;
      for (var i = 0; i < tokens.length; i++) {
        var t = tokens[i], best = 0;
        x.hay.forEach(function (h) { best = Math.max(best, h === t ? 3 : h.indexOf(t) === 0 ? 2 : h.indexOf(t) > 0 ? 1 : 0); });
        if (!best) { return 0; }
        total += best;
      }
      return total;
    }
    /* The regions a text names: one when it is unambiguous, several candidates otherwise. */
    function findAll(q) {
      q = String(q || '').trim();
      if (!q) { return []; }
      var exact = labels.filter(function (x) { return x.label.toLowerCase() === q.toLowerCase(); });
      if (exact.length) { return [exact[0].f]; }
      var tokens = q.split(/[\s,·()]+/).map(norm).filter(Boolean);
      var best = 0, hits = [];
      labels.forEach(function (x) {
        var s = scoreOf(x, tokens);
        if (s > best) { best = s; hits = [x]; } else if (s && s === best) { hits.push(x); }
      });
      return hits.map(function (x) { return x.f; });
    }
    function find(q) { var r = findAll(q); return r.length === 1 ? r[0] : null; }
    function go(f) {
      var pad = map.hmPad || {};
      map.fitBounds(bounds(f), { maxZoom: opts.maxZoom || 10, paddingTopLeft: pad.paddingTopLeft, paddingBottomRight: pad.paddingBottomRight, animate: false });
      var l = null;
      HM.registry.some(function (e) {
        if (e.layer.hmByCode && map.hasLayer(e.layer) && e.layer.hmByCode[f.properties.code]) { l = e.layer.hmByCode[f.properties.code]; }
        return l !== null;
      });
      if (l) { l.openPopup(f.rp); } else { L.popup(popupOptions(380)).setLatLng(f.rp).setContent(regionPopup(p, f)).openOn(map); }
    }
    var d = L.DomUtil.create('div', 'hm-search', map.hmPanel.search);
    var inp = L.DomUtil.create('input', '', d);
    inp.type = 'search';
    inp.placeholder = '지역 검색 · Search region';
    inp.setAttribute('list', listId);
    inp.setAttribute('aria-label', 'Search region by Korean or English name');
    var dl = L.DomUtil.create('datalist', '', d);
    dl.id = listId;
    labels.forEach(function (x) { var o = document.createElement('option'); o.value = x.label; dl.appendChild(o); });
    var msg = L.DomUtil.create('div', 'hm-search-msg', d);
    var last = null;
    function run(e) {
      // leaving the box (to click a candidate) fires 'change' again: keep the list then
      if (e && e.type === 'change' && inp.value === last) { return; }
      last = inp.value;
      var hits = findAll(inp.value);
      msg.innerHTML = '';
      if (hits.length === 1) { go(hits[0]); return; }
      if (!inp.value) { return; }
      if (!hits.length) { msg.textContent = '찾을 수 없음 · not found'; return; }
      var head = L.DomUtil.create('div', 'hm-small', msg);
      head.textContent = '후보 ' + hits.length + '곳 · ' + hits.length + ' candidates:';
      hits.slice(0, 12).forEach(function (f) {
        var a = f.properties, b = L.DomUtil.create('button', 'hm-cand', msg);
        b.type = 'button';
        b.textContent = (a.dn_ko || a.name_ko) + ' ' + ((opts.where || []).map(function (k) { return a[k]; }).filter(Boolean).join(' '));
        L.DomEvent.on(b, 'click', function () { msg.innerHTML = ''; go(f); });
      });
    }
    L.DomEvent.on(inp, 'change', run);
    L.DomEvent.on(inp, 'keydown', function (e) { if (e.key === 'Enter') { L.DomEvent.preventDefault(e); run(e); } });
    HM.find = find;
    HM.findAll = findAll;
    HM.go = go;
    return d;
  };

  function csvCell(v) {
    var t = v === null || v === undefined ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(t) && !isNum(v)) { t = "'" + t; }  // never a spreadsheet formula
    return /[",\n\r]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  }

  /* A ranking table in the panel: filters (권역, 시도, tiers), rows that open the region,
     and a CSV of the rows shown. spec: {columns: [{c, ko, en, d}], filters: [{c, ko, en}], sort}. */
  HM.table = function (map, p, spec) {
    var body = map.hmPanel.section('table', '순위표', 'Ranking table', false);
    var bar = L.DomUtil.create('div', 'hm-tab-filters', body);
    var sels = spec.filters.map(function (fl) {
      var vals = {};
      p.features.forEach(function (f) { var v = f.properties[fl.c]; if (v !== null && v !== undefined && v !== '') { vals[v] = true; } });
      var lab = L.DomUtil.create('label', '', bar);
      lab.appendChild(document.createTextNode(fl.ko + ' · ' + fl.en + ' '));
      var sel = L.DomUtil.create('select', '', lab);
      sel.setAttribute('data-filter', fl.c);
      var all = document.createElement('option');
      all.value = ''; all.textContent = '전체 · all';
      sel.appendChild(all);
      Object.keys(vals).sort().forEach(function (v) { var o = document.createElement('option'); o.value = v; o.textContent = v; sel.appendChild(o); });
      L.DomEvent.on(sel, 'change', render);
      return { c: fl.c, el: sel };
    });
    var btn = L.DomUtil.create('button', 'hm-csv', bar);
    btn.type = 'button';
    btn.textContent = 'CSV 내려받기 · Download CSV';
    var count = L.DomUtil.create('div', 'hm-small', body);
    var wrap = L.DomUtil.create('div', 'hm-tab-wrap', body);
    var sorted = p.features.slice().sort(function (a, b) {
      var x = a.properties[spec.sort], y = b.properties[spec.sort];
      return (isNum(x) ? x : Infinity) - (isNum(y) ? y : Infinity) || (a.properties.code < b.properties.code ? -1 : 1);
    });
    var shown = [], visible = spec.columns.filter(function (c) { return !c.csv; });
    function render() {
      shown = sorted.filter(function (f) {
        return sels.every(function (s) { return !s.el.value || String(f.properties[s.c]) === s.el.value; });
      });
      var h = '<table class="hm-rank"><thead><tr>' + visible.map(function (c) { return '<th>' + bi(c.ko, c.en) + '</th>'; }).join('') + '</tr></thead><tbody>';
      shown.forEach(function (f, i) {
        h += '<tr data-i="' + i + '">' + visible.map(function (c) {
          var v = f.properties[c.c];
          return '<td' + (isNum(v) ? ' class="n"' : '') + '>' + esc(fmt(v, c.d)) + '</td>';
        }).join('') + '</tr>';
      });
      wrap.innerHTML = h + '</tbody></table>';
      count.textContent = shown.length + ' / ' + p.features.length + '곳 · regions';
    }
    L.DomEvent.on(wrap, 'click', function (e) {
      var tr = (e.target || e.srcElement).closest('tr[data-i]');
      if (tr && HM.go) { HM.go(shown[+tr.getAttribute('data-i')]); }
    });
    L.DomEvent.on(btn, 'click', function () {
      var lines = [spec.columns.map(function (c) { return csvCell(c.ko + (c.en ? ' (' + c.en + ')' : '')); }).join(',')];
      shown.forEach(function (f) { lines.push(spec.columns.map(function (c) { return csvCell(f.properties[c.c]); }).join(',')); });
      var blob = new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = spec.filename || 'ranking.csv';
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
    });
    render();
    HM.tableRows = function () { return shown.length; };
    return body;
  };

  window.HubMap = HM;
}());
