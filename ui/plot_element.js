// The app's chart element (ui/plot_element.py): one plotly.js figure per node, drawn with Plotly.newPlot once
// and updated in place with Plotly.react on every later render of the same key (a fragment's or a full rerun).
//
// Everything this node needs between renders lives on its host element (`parentElement[STATE]`), never in
// module variables: Streamlit runs this function again for every new `data`, and only the last cleanup it
// returned runs, at unmount.
//
// plotly.js is the installed plotly package's own copy, served by the app (ui/http_api.py, `plotly_js_route`)
// and kept under its own global name (LIBRARY): `window.Plotly` may be the copy Streamlit bundles.

const STATE = "__atlasPlot";
const LIBRARY = "__atlasPlotly"; // url -> Promise of plotly.js
const SKIPPED_POINT_KEYS = new Set(["data", "fullData", "xaxis", "yaxis", "bbox", "hovertemplate"]);

function loadPlotly(url) {
  const loaded = (window[LIBRARY] = window[LIBRARY] || {});
  if (!loaded[url]) {
    loaded[url] = new Promise((resolve, reject) => {
      const before = Object.getOwnPropertyDescriptor(window, "Plotly");
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      // plotly.js sets window.Plotly as it runs; the load event follows in the same task, so the copy taken
      // here is this one, and whatever window.Plotly was before is put back.
      script.onload = () => {
        const mine = window.Plotly;
        if (before) Object.defineProperty(window, "Plotly", before);
        else delete window.Plotly;
        if (mine && typeof mine.react === "function") resolve(mine);
        else reject(new Error("plotly.js did not load"));
      };
      script.onerror = () => {
        delete loaded[url];
        reject(new Error("plotly.js could not be loaded"));
      };
      document.head.appendChild(script);
    });
  }
  return loaded[url];
}

function rgba(colour, alpha) {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour.trim());
  if (hex) {
    let digits = hex[1];
    if (digits.length === 3) digits = [...digits].map((d) => d + d).join("");
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16));
    return `rgba(${r},${g},${b},${alpha})`;
  }
  const rgb = /^rgba?\(([^,]+),([^,]+),([^,)]+)/i.exec(colour.replace(/\s/g, ""));
  return rgb ? `rgba(${rgb[1]},${rgb[2]},${rgb[3]},${alpha})` : colour;
}

// The app's theme, read from the `--st-*` variables Streamlit sets on the host, as a plotly.js template: it
// fills only what the figure does not set itself (the figures carry no template of their own).
function themeTemplate(host) {
  const css = getComputedStyle(host);
  const value = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const text = value("--st-text-color", "#31333f");
  const background = value("--st-background-color", "#ffffff");
  const secondary = value("--st-secondary-background-color", "#f0f2f6");
  const family = value("--st-font", "sans-serif");
  const colours = value("--st-chart-categorical-colors", "")
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  const axis = {
    gridcolor: rgba(text, 0.12),
    linecolor: rgba(text, 0.3),
    zerolinecolor: rgba(text, 0.3),
    tickcolor: rgba(text, 0.3),
  };
  const layout = {
    font: { color: text, family },
    paper_bgcolor: background,
    plot_bgcolor: background,
    hoverlabel: { bgcolor: secondary, bordercolor: rgba(text, 0.3), font: { color: text, family } },
    legend: { font: { color: text } },
    xaxis: axis,
    yaxis: axis,
  };
  if (colours.length) layout.colorway = colours;
  return { layout };
}

function luminance(colour) {
  const channels = /^rgba?\(([^,]+),([^,]+),([^,)]+)/i.exec(rgba(colour, 1).replace(/\s/g, ""));
  if (!channels) return 1;
  const [r, g, b] = channels.slice(1, 4).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

// The figures are drawn for a light page (white, the palette's ink and greys: `analysis.charts.PALETTE`).
// On a dark theme those fixed colours (`data.swap`: colour -> role) become the theme's own; data colours stay.
function darkColours(host, swap) {
  const css = getComputedStyle(host);
  const background = css.getPropertyValue("--st-background-color").trim();
  if (!background || luminance(background) >= 0.5) return null;
  const text = css.getPropertyValue("--st-text-color").trim() || "#fafafa";
  const roles = { background, text, muted: rgba(text, 0.7), grid: rgba(text, 0.15) };
  const colours = {};
  for (const [colour, role] of Object.entries(swap || {})) colours[colour.toLowerCase()] = roles[role];
  return colours;
}

function recoloured(value, colours) {
  if (typeof value === "string") return colours[value.toLowerCase()] || value;
  if (Array.isArray(value)) {
    if (value.length && typeof value[0] === "number") return value;
    return value.map((item) => recoloured(item, colours));
  }
  if (value && typeof value === "object") {
    const out = {};
    for (const [name, item] of Object.entries(value)) out[name] = name === "meta" ? item : recoloured(item, colours);
    return out;
  }
  return value;
}

function snakeCase(name) {
  return name.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

// A clicked point as st.plotly_chart reported it (snake_case keys, no plotly internals), so the pages'
// callbacks read `state[key].selection.points` as before.
function pointOf(point) {
  const out = {};
  for (const [name, value] of Object.entries(point)) {
    if (SKIPPED_POINT_KEYS.has(name) || typeof value === "function") continue;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) continue;
    out[snakeCase(name)] = value;
  }
  const group = point.data && point.data.legendgroup;
  if (group) out.legendgroup = group;
  return out;
}

function figureFor(state) {
  const given = state.latest;
  const dark = darkColours(state.host, given.swap);
  const figure = dark ? recoloured(given.figure, dark) : given.figure;
  const layout = { ...figure.layout, template: themeTemplate(state.host), autosize: true };
  delete layout.width; // the column's width (ResizeObserver below), as st.plotly_chart's "stretch"
  if (layout.uirevision === undefined) layout.uirevision = "atlas"; // a zoom survives an update
  const config = { ...given.config, showSendToCloud: false, responsive: false };
  return { data: figure.data || [], layout, config };
}

function describe(state) {
  const { title, description } = state.latest;
  if (title) state.node.setAttribute("aria-label", title);
  else state.node.removeAttribute("aria-label");
  state.caption.textContent = description || "";
}

async function draw(state) {
  let Plotly;
  try {
    Plotly = await loadPlotly(state.latest.src);
  } catch (error) {
    state.caption.textContent = state.latest.unavailable || String(error);
    state.caption.className = "atlas-plot-unavailable";
    state.node.dataset.state = "unavailable";
    return;
  }
  if (state.dead) return;
  if (state.busy) {
    state.again = true;
    return;
  }
  state.busy = true;
  try {
    do {
      state.again = false;
      describe(state);
      // Inside a closed tab or expander the node has no width yet: it is drawn when it gets one.
      if (!state.graph.clientWidth) {
        state.waiting = true;
        state.node.dataset.state = "waiting";
        break;
      }
      state.waiting = false;
      state.node.dataset.state = "drawing"; // "drawn" once plotly.js has finished (tests wait for it)
      const { data, layout, config } = figureFor(state);
      state.graph.style.height = `${layout.height || 450}px`;
      if (!state.drawn) {
        await Plotly.newPlot(state.graph, data, layout, config);
        state.drawn = true;
        state.graph.on("plotly_click", (event) => select(state, event));
      } else {
        await Plotly.react(state.graph, data, layout, config);
      }
      if (!state.again) state.node.dataset.state = "drawn";
    } while (state.again && !state.dead);
  } finally {
    state.busy = false;
  }
}

function select(state, event) {
  if (!state.latest.selectable || !event || !event.points) return;
  const points = event.points.map(pointOf);
  const indices = [...new Set(points.map((p) => p.point_index).filter((i) => i !== undefined))];
  state.setStateValue("selection", { points, point_indices: indices, box: [], lasso: [] });
}

function mount(host) {
  const node = document.createElement("figure");
  node.className = "atlas-plot";
  node.setAttribute("role", "figure");
  const graph = document.createElement("div");
  graph.className = "atlas-plot-graph";
  const caption = document.createElement("figcaption");
  caption.className = "atlas-plot-description";
  node.dataset.state = "loading";
  node.append(graph, caption);
  host.appendChild(node);
  const state = { host, node, graph, caption, drawn: false, busy: false, again: false, dead: false };
  state.observer = new ResizeObserver(() => {
    if (state.dead) return;
    if (state.waiting && state.graph.clientWidth) draw(state);
    else if (state.drawn && state.graph.clientWidth) loadPlotly(state.latest.src).then((P) => P.Plots.resize(state.graph));
  });
  state.observer.observe(graph);
  host[STATE] = state;
  return state;
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const host = parentElement;
  const state = host[STATE] || mount(host);
  state.latest = data;
  state.setStateValue = setStateValue;
  draw(state);
  return () => {
    // Streamlit may call a superseded render's cleanup while the node lives on: only a node that has left
    // the page is taken down.
    setTimeout(() => {
      if (host.isConnected || host[STATE] !== state) return;
      state.dead = true;
      state.observer.disconnect();
      if (state.drawn && window[LIBRARY] && window[LIBRARY][state.latest.src]) {
        window[LIBRARY][state.latest.src].then((P) => P.purge(state.graph));
      }
      delete host[STATE];
    }, 0);
  };
}
