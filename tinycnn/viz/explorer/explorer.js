// The tinycnn explorer: click inside a trained network (tinycnn/viz/explore.py writes the page).
//
// What the page holds (DATA, the JSON in the page's element #explorer-data):
//   values[k].shape   the shape of value k for one image: value 0 is the model's input, value
//                     k the output of layer call k (calls[k - 1])
//   calls[k - 1]      name, type, inputs (the values it reads), kind ("conv", "maxpool",
//                     "avgpool", "batchnorm", "dense", "activation", "other") and the numbers
//                     its kind needs (window, activation, the keys of its weights)
//   weights[key]      {shape, data}: an array of the model's, e.g. "conv2d/W" (KH, KW, C, F)
//   images[n]         label, predicted, logits, probs, thumbnail, values (every value of
//                     image n, one after another), maps (its explanations, explorer_maps.py)
// Arrays travel as base64 text of zlib-compressed little-endian bytes: inflate() reads them.
//
// A click on a unit redoes its arithmetic here, in float64 (JavaScript's numbers), from the
// model's outputs of the layer below and its weights, and shows it beside the model's own
// output for that unit: the two agree to float32 rounding.
"use strict";

const DATA = JSON.parse(document.getElementById("explorer-data").textContent);
const FLOATS = DATA.dtype === "float64" ? Float64Array : Float32Array;
const K = DATA.class_names.length;
const [IMAGE_H, IMAGE_W] = DATA.values[0].shape;
const MAX_BARS = 128;        // a 1-D value longer than this is drawn as a strip of pixels
const STRIP_WIDTH = 32;
const state = { image: null, values: null, maps: null, unit: null };

// ---- reading the data --------------------------------------------------------------------
async function inflate(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const size = (shape) => shape.reduce((a, b) => a * b, 1);
const weights = {};
async function readWeights() {
  for (const [key, array] of Object.entries(DATA.weights)) {
    weights[key] = new FLOATS((await inflate(array.data)).buffer);
  }
}

// Every value of image n, each a typed array over one buffer.
async function readValues(n) {
  const buffer = (await inflate(DATA.images[n].values)).buffer;
  let offset = 0;
  return DATA.values.map((value) => {
    const array = new FLOATS(buffer, offset * FLOATS.BYTES_PER_ELEMENT, size(value.shape));
    offset += array.length;
    return array;
  });
}

// ---- numbers and activations ---------------------------------------------------------------
function fmt(v) {  // six decimals: enough to hold a float32 to 1e-6 for values below 100
  return Math.abs(v) < 1e5 ? v.toFixed(6) : v.toExponential(6);
}
const short = (v) => v.toFixed(4);

const sigmoid = (z) => 1 / (1 + Math.exp(-z));
const ACTIVATIONS = {  // the elementwise ones; softmax needs the whole vector (softmaxOf)
  linear: (z) => z,
  relu: (z) => Math.max(0, z),
  relu6: (z) => Math.min(Math.max(z, 0), 6),
  leaky_relu: (z) => (z > 0 ? z : 0.2 * z),
  elu: (z) => (z > 0 ? z : Math.exp(z) - 1),
  selu: (z) => 1.0507009873554805 * (z > 0 ? z : 1.6732632423543772 * (Math.exp(z) - 1)),
  sigmoid,
  hard_sigmoid: (z) => Math.min(Math.max(z + 3, 0), 6) / 6,
  tanh: Math.tanh,
  softplus: (z) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))),
  softsign: (z) => z / (1 + Math.abs(z)),
  silu: (z) => z * sigmoid(z),
  swish: (z) => z * sigmoid(z),
  exponential: Math.exp,
};

function softmaxOf(z) {
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

// ---- drawing ---------------------------------------------------------------------------------
function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// A canvas h x w showing rgb(t) for t in [0, 1] at each pixel; pixels(i) gives t.
function paint(canvas, h, w, colorOf, pixels) {
  canvas.width = w;
  canvas.height = h;
  const context = canvas.getContext("2d");
  const image = context.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const [r, g, b, a] = colorOf(pixels(i));
    image.data.set([r, g, b, a === undefined ? 255 : a], 4 * i);
  }
  context.putImageData(image, 0, 0);
  return canvas;
}
const grey = (t) => [255 * t, 255 * t, 255 * t];
const hot = (t) => [255 * Math.min(1, 3 * t), 255 * Math.min(1, Math.max(0, 3 * t - 1)),
  255 * Math.max(0, 3 * t - 2)];
const diverging = (t) => (t >= 0 ? [255, 255 * (1 - t), 255 * (1 - t)]   // red: a drop
  : [255 * (1 + t), 255 * (1 + t), 255]);                                 // blue: a rise
const jet = (t) => [255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 3))),
  255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 2))),
  255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 1))), 180 * t];

// ---- the grid of images ------------------------------------------------------------------------
async function drawGrid() {
  const grid = document.getElementById("grid");
  let mistakes = 0;
  for (const [n, image] of DATA.images.entries()) {
    const rgb = await inflate(image.thumbnail);
    const canvas = paint(element("canvas"), IMAGE_H, IMAGE_W, (i) => [rgb[3 * i],
      rgb[3 * i + 1], rgb[3 * i + 2]], (i) => i);
    const wrong = image.predicted !== image.label;
    mistakes += wrong;
    const names = DATA.class_names;
    const thumb = element("div", {
      className: "thumb" + (wrong ? " wrong" : ""), "data-image": n,
      title: `#${n} true: ${names[image.label]}, predicted: ${names[image.predicted]} ` +
        `(${(100 * image.probs[image.predicted]).toFixed(1)}%)`,
    }, [canvas, element("div", { className: "caption",
      text: (wrong ? "\u2717 " : "") + names[image.predicted] })]);
    thumb.addEventListener("click", () => pick(n));
    grid.append(thumb);
  }
  document.getElementById("picker-summary").textContent =
    `${DATA.images.length} images; ${mistakes} mistakes, marked \u2717 in red ` +
    "(the caption is the predicted class; hover for the true one)";
}

// ---- one image: every layer's output -----------------------------------------------------------
async function pick(n) {
  state.image = n;
  state.values = await readValues(n);
  state.maps = await inflate(DATA.images[n].maps);
  for (const thumb of document.querySelectorAll(".thumb")) {
    thumb.classList.toggle("picked", Number(thumb.dataset.image) === n);
  }
  const layers = document.getElementById("layers");
  layers.replaceChildren(...DATA.values.map((_, k) => layerSection(k)));
  document.getElementById("explain-class").value = DATA.images[n].predicted;
  drawExplanations();
  showDetail(null);
}

function heading(k) {
  if (k === 0) return `input ${JSON.stringify(DATA.values[0].shape)}`;
  const call = DATA.calls[k - 1];
  return `${k}. ${call.name} (${call.type}) \u2192 ${JSON.stringify(DATA.values[k].shape)}`;
}

function layerSection(k) {
  const section = element("div", { className: "layer", id: `value-${k}` },
    [element("h3", { text: heading(k) })]);
  const shape = DATA.values[k].shape;
  const value = state.values[k];
  if (k === DATA.values.length - 1 && shape.length === 1 && shape[0] === K) {
    section.append(classBars(k));
  } else if (shape.length === 3 || shape.length === 2) {
    section.append(featureMaps(k, shape.length === 3 ? shape : [...shape, 1], value));
  } else if (shape.length === 1 && shape[0] <= MAX_BARS) {
    section.append(bars(k, Array.from(value)));
  } else if (shape.length === 1) {
    section.append(strip(k, value));
  } else {
    section.append(element("p", { className: "help",
      text: `a value of shape ${JSON.stringify(shape)}: no picture for it` }));
  }
  return section;
}

// One canvas per channel, each scaled on the layer's own range (dark: lowest, white: highest).
function featureMaps(k, [h, w, channels], value) {
  let low = Infinity, high = -Infinity;
  for (const v of value) { low = Math.min(low, v); high = Math.max(high, v); }
  const span = high > low ? high - low : 1;
  const scale = Math.max(2, Math.floor(84 / Math.max(h, w)));
  const maps = element("div", { className: "maps" });
  for (let c = 0; c < channels; c++) {
    const canvas = paint(element("canvas", { "data-value": k, "data-channel": c }), h, w,
      grey, (i) => (value[i * channels + c] - low) / span);
    canvas.style.width = `${w * scale}px`;
    canvas.style.height = `${h * scale}px`;
    canvas.title = `channel ${c}`;
    canvas.addEventListener("click", (event) => {
      const box = canvas.getBoundingClientRect();
      const x = Math.min(w - 1, Math.floor((event.clientX - box.left) / box.width * w));
      const y = Math.min(h - 1, Math.floor((event.clientY - box.top) / box.height * h));
      select(k, (y * w + x) * channels + c);
    });
    maps.append(element("div", { className: "map", "data-channel": c }, [canvas]));
  }
  return maps;
}

function bars(k, numbers, labels = null) {
  const top = Math.max(...numbers.map(Math.abs)) || 1;
  const row = element("div", { className: "bars" });
  numbers.forEach((v, i) => {
    const bar = element("div", { className: "bar" + (v < 0 ? " negative" : ""),
      "data-value": k, "data-index": i, title: `${labels ? labels[i] : "unit " + i}: ${fmt(v)}` });
    bar.style.height = `${Math.max(1, 90 * Math.abs(v) / top)}px`;
    bar.addEventListener("click", () => select(k, i));
    row.append(bar);
  });
  if (!labels) return row;
  return element("div", {}, [row, element("div", { className: "bar-labels" },
    labels.map((label) => element("span", { text: label, title: label })))]);
}

function strip(k, value) {
  const rows = Math.ceil(value.length / STRIP_WIDTH);
  let top = 0;
  for (const v of value) top = Math.max(top, Math.abs(v));
  const canvas = paint(element("canvas", { "data-value": k }), rows, STRIP_WIDTH, grey,
    (i) => (i < value.length ? Math.abs(value[i]) / (top || 1) : 0));
  canvas.style.width = `${STRIP_WIDTH * 6}px`;
  canvas.style.height = `${rows * 6}px`;
  canvas.addEventListener("click", (event) => {
    const box = canvas.getBoundingClientRect();
    const x = Math.floor((event.clientX - box.left) / box.width * STRIP_WIDTH);
    const y = Math.floor((event.clientY - box.top) / box.height * rows);
    if (y * STRIP_WIDTH + x < value.length) select(k, y * STRIP_WIDTH + x);
  });
  return element("div", {}, [canvas, element("p", { className: "help",
    text: `${value.length} numbers, ${STRIP_WIDTH} a row (brightness: |value|)` })]);
}

// The model's last layer: its logits and probabilities, one bar a class. Both come from
// explore.py: the logits are the input of the model's softmax (or its output, for a model
// that ends without one), the probabilities their softmax.
function classBars(k) {
  const image = DATA.images[state.image];
  const table = element("table", { className: "numbers", id: "class-table" },
    [element("tr", {}, ["class", "logit z", "probability"].map((t) => element("th", { text: t })))]);
  DATA.class_names.forEach((name, i) => table.append(element("tr", { "data-class": i }, [
    element("td", { text: name }),
    element("td", { "data-number": "logit", text: fmt(image.logits[i]) }),
    element("td", { "data-number": "probability", text: fmt(image.probs[i]) })])));
  return element("div", {}, [
    element("p", { className: "help", text: "logits z (the scores a softmax turns into " +
      "probabilities)" }),
    bars(k, image.logits, DATA.class_names),
    element("p", { className: "help", text: "probabilities softmax(z)" }),
    bars(k, image.probs, DATA.class_names), table]);
}

// ---- one unit: how the model computed it -----------------------------------------------------
function select(k, index) {
  state.unit = { k, index };
  for (const old of document.querySelectorAll(".window, .unit, .bar.picked")) {
    if (old.classList.contains("bar")) old.classList.remove("picked"); else old.remove();
  }
  const shape = DATA.values[k].shape;
  if (shape.length >= 2) {
    const [y, x, c] = position(shape, index);
    mark(k, c, y, x, 1, 1, "unit");
  } else {
    const bar = document.querySelector(`.bar[data-value="${k}"][data-index="${index}"]`);
    if (bar) bar.classList.add("picked");
  }
  showDetail(k === 0 ? null : DATA.calls[k - 1], k, index);
}

// A flat index into a value (H, W, C) -> [y, x, c].
function position(shape, index) {
  const [h, w, channels] = shape.length === 3 ? shape : [...shape, 1];
  return [Math.floor(index / (w * channels)), Math.floor(index / channels) % w, index % channels];
}

// Outline rows top.. and columns left.. (may reach past the edge: padding) on channel c's map.
function mark(k, c, top, left, rows, columns, className) {
  const map = document.querySelector(`#value-${k} .map[data-channel="${c}"]`);
  if (!map) return;
  const [h, w] = DATA.values[k].shape;
  const box = element("div", { className, "data-window": [top, left, rows, columns].join(",") });
  box.style.left = `${100 * left / w}%`;
  box.style.top = `${100 * top / h}%`;
  box.style.width = `${100 * columns / w}%`;
  box.style.height = `${100 * rows / h}%`;
  map.append(box);
}

function showDetail(call, k, index) {
  const body = document.getElementById("detail-body");
  if (!call) {
    body.replaceChildren(element("p", { className: "help", text: k === 0
      ? `input pixel ${JSON.stringify(position(DATA.values[0].shape, index))}: ` +
        fmt(state.values[0][index]) : "Click a unit of a layer." }));
    return;
  }
  const views = { conv: convDetail, maxpool: poolDetail, avgpool: poolDetail,
    batchnorm: batchnormDetail, dense: denseDetail, activation: activationDetail };
  const title = element("h3", { text: `${call.name} (${call.type}), unit ` +
    JSON.stringify(DATA.values[k].shape.length >= 2 ? position(DATA.values[k].shape, index)
      : [index]) });
  body.replaceChildren(title, ...(views[call.kind] || otherDetail)(call, k, index));
}

// A line "label = number" whose number the tests read (data-number).
function numberRow(label, name, v) {
  return element("div", { className: "value-row" },
    [element("span", { text: label }), element("span", { "data-number": name, text: fmt(v) })]);
}

// The model's own output for the unit, and how far the page's float64 arithmetic is from it
// (computed: null when the page could not redo the last step, an activation it does not know).
function modelRow(k, index, computed) {
  const model = state.values[k][index];
  const rows = [numberRow("the model's output", "model", model)];
  if (computed === null) return rows;
  const difference = computed - model;
  rows.push(element("p", { className: "help", text: `computed here \u2212 model: ` +
    (difference === 0 ? "0, the same number"
      : `${difference.toExponential(2)} (float32 rounding: the model adds in another order)`) }));
  return rows;
}

function activationRows(name, z, zLabel = "z") {
  const f = ACTIVATIONS[name];
  if (!f) return [element("p", { className: "help", text: `activation ${name}: applied by ` +
    "the model (no step-by-step view of it here)" })];
  return [numberRow(`${name}(${zLabel})`, "activation", f(z))];
}

function smallTable(rows, columns, cell) {
  const table = element("table", { className: "numbers grid3" });
  for (let r = 0; r < rows; r++) {
    table.append(element("tr", {}, Array.from({ length: columns }, (_, c) => cell(r, c))));
  }
  return table;
}

function convDetail(call, k, index) {
  const [y, x, f] = position(DATA.values[k].shape, index);
  const input = state.values[call.inputs[0]];
  const [H, W, C] = DATA.values[call.inputs[0]].shape;
  const [KH, KW] = call.window.kernel, [SH, SW] = call.window.strides;
  const [PH, PW] = call.window.padding, [DH, DW] = call.dilation;
  const kernel = weights[call.W];
  const F = DATA.values[k].shape[2];
  const top = y * SH - PH, left = x * SW - PW;
  for (let c = 0; c < C; c++) {  // the window lights up on every channel of the layer below
    mark(call.inputs[0], c, top, left, (KH - 1) * DH + 1, (KW - 1) * DW + 1, "window");
  }
  let sum = 0;
  const channels = [];
  for (let c = 0; c < C; c++) {
    const windowValue = (ky, kx) => {
      const iy = top + ky * DH, ix = left + kx * DW;
      return iy >= 0 && iy < H && ix >= 0 && ix < W ? input[(iy * W + ix) * C + c] : 0;
    };
    const weight = (ky, kx) => kernel[((ky * KW + kx) * C + c) * F + f];
    let channelSum = 0;
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++) channelSum += windowValue(ky, kx) * weight(ky, kx);
    }
    sum += channelSum;
    channels.push({ channelSum, row: element("div", { className: "channel" }, [
      element("span", { className: "channel-name", text: `ch ${c}` }),
      smallTable(KH, KW, (r, q) => element("td", { text: short(windowValue(r, q)) })),
      element("span", { text: "\u00d7" }),
      smallTable(KH, KW, (r, q) => element("td", { text: short(weight(r, q)) })),
      element("span", { text: "=" }),
      smallTable(KH, KW, (r, q) => element("td", { "data-product": `${c},${r},${q}`,
        text: (windowValue(r, q) * weight(r, q)).toFixed(5) })),
      element("span", { className: "channel-sum", text: `\u03a3 ${short(channelSum)}` })]) });
  }
  // The channels that add the most to z first (the others often add nothing at all).
  channels.sort((a, b) => Math.abs(b.channelSum) - Math.abs(a.channelSum));
  const bias = call.b ? weights[call.b][f] : 0;
  const z = sum + bias;
  const activate = ACTIVATIONS[call.activation];
  return [
    element("p", { className: "equation", text: `z = sum over ky, kx, c of window \u00d7 ` +
      `W[ky, kx, c, ${f}] + b[${f}];  out = ${call.activation}(z)` }),
    element("p", { className: "help", text: `The ${KH}x${KW} window at rows ${top}.., columns ` +
      `${left}.. of the layer below lights up on each of its ${C} channels (outside the ` +
      "image: zero padding)." }),
    numberRow(`sum of the ${KH * KW * C} products`, "sum", sum),
    numberRow(`bias b[${f}]`, "bias", bias),
    numberRow("z = sum + bias", "z", z),
    ...activationRows(call.activation, z),
    ...modelRow(k, index, activate ? activate(z) : null),
    element("h3", { text: "window \u00d7 kernel = products, channel by channel" }),
    element("p", { className: "help", text: "ch c: input channel c; the window's values " +
      "\u00d7 the kernel's weights = the products, \u03a3 their sum; the channels that add " +
      "the most to z first" }),
    ...channels.map((channel) => channel.row)];
}

function poolDetail(call, k, index) {
  const [y, x, c] = position(DATA.values[k].shape, index);
  const input = state.values[call.inputs[0]];
  const [H, W, C] = DATA.values[call.inputs[0]].shape;
  const [KH, KW] = call.window.kernel, [SH, SW] = call.window.strides;
  const top = y * SH - call.window.padding[0], left = x * SW - call.window.padding[1];
  mark(call.inputs[0], c, top, left, KH, KW, "window");
  const inside = (r, q) => top + r >= 0 && top + r < H && left + q >= 0 && left + q < W;
  const at = (r, q) => input[((top + r) * W + left + q) * C + c];
  let best = null, total = 0, count = 0;  // padded pixels never take part
  for (let r = 0; r < KH; r++) {
    for (let q = 0; q < KW; q++) {
      if (!inside(r, q)) continue;
      total += at(r, q);
      count += 1;
      if (best === null || at(r, q) > at(best[0], best[1])) best = [r, q];
    }
  }
  const table = smallTable(KH, KW, (r, q) => element("td", {
    className: call.kind === "maxpool" && best[0] === r && best[1] === q ? "winner" : "",
    text: inside(r, q) ? fmt(at(r, q)) : "pad" }));
  if (call.kind === "maxpool") {
    const winner = at(best[0], best[1]);
    return [element("p", { className: "equation", text: "out = the largest value in the window" }),
      table, numberRow(`max (the winner, row ${best[0]}, column ${best[1]})`, "max", winner),
      ...modelRow(k, index, winner)];
  }
  return [element("p", { className: "equation", text: "out = the mean of the window" }),
    table, numberRow(`mean of ${count} values`, "mean", total / count),
    ...modelRow(k, index, total / count)];
}

function batchnormDetail(call, k, index) {
  const channels = DATA.values[k].shape.at(-1);
  const c = index % channels;
  const read = (key, otherwise) => (call[key] ? weights[call[key]][c] : otherwise);
  const xv = state.values[call.inputs[0]][index];
  const mean = read("mean"), variance = read("variance");
  const gamma = read("gamma", 1), beta = read("beta", 0);
  const normalized = (xv - mean) / Math.sqrt(variance + call.epsilon);
  const out = gamma * normalized + beta;
  return [
    element("p", { className: "equation", text: "out = gamma (x \u2212 moving_mean) / " +
      "sqrt(moving_variance + epsilon) + beta" }),
    numberRow("x (the layer below, same place)", "input", xv),
    numberRow(`moving_mean[${c}]`, "mean", mean),
    numberRow(`moving_variance[${c}]`, "variance", variance),
    numberRow("epsilon", "epsilon", call.epsilon),
    numberRow(`gamma[${c}]`, "gamma", gamma),
    numberRow(`beta[${c}]`, "beta", beta),
    numberRow("(x \u2212 mean) / sqrt(variance + epsilon)", "normalized", normalized),
    numberRow("out", "out", out),
    ...modelRow(k, index, out)];
}

// z_j = sum_i x_i W[i, j] + b_j for every unit j of a Dense layer reading x (D,).
function denseLogits(call) {
  const x = state.values[call.inputs[0]];
  const W = weights[call.W];
  const units = DATA.weights[call.W].shape[1];
  return Array.from({ length: units }, (_, j) => {
    let z = call.b ? weights[call.b][j] : 0;
    for (let i = 0; i < x.length; i++) z += x[i] * W[i * units + j];
    return z;
  });
}

function denseDetail(call, k, j) {
  const x = state.values[call.inputs[0]];
  const W = weights[call.W];
  const units = DATA.weights[call.W].shape[1];
  const products = Array.from(x, (v, i) => [i, v, W[i * units + j], v * W[i * units + j]]);
  const sum = products.reduce((total, p) => total + p[3], 0);
  const bias = call.b ? weights[call.b][j] : 0;
  const z = sum + bias;
  const largest = [...products].sort((a, b) => Math.abs(b[3]) - Math.abs(a[3])).slice(0, 12);
  const table = element("table", { className: "numbers" }, [element("tr", {},
    ["i", "x[i]", `W[i, ${j}]`, "product"].map((t) => element("th", { text: t })))]);
  for (const [i, v, w, p] of largest) {
    table.append(element("tr", {}, [i, fmt(v), fmt(w), fmt(p)].map((t) =>
      element("td", { text: String(t) }))));
  }
  const rows = [
    element("p", { className: "equation", text: `z = sum over i of x[i] W[i, ${j}] + b[${j}]; ` +
      `out = ${call.activation}(z)` }),
    numberRow(`sum of the ${x.length} products`, "sum", sum),
    numberRow(`bias b[${j}]`, "bias", bias),
    numberRow("z = sum + bias", "z", z)];
  let computed = null;
  if (call.activation === "softmax") {
    computed = softmaxOf(denseLogits(call))[j];
    rows.push(numberRow(`softmax(z)[${j}] over all ${units} units`, "activation", computed));
  } else {
    rows.push(...activationRows(call.activation, z));
    if (ACTIVATIONS[call.activation]) computed = ACTIVATIONS[call.activation](z);
  }
  return [...rows, ...modelRow(k, j, computed),
    element("h3", { text: `the ${largest.length} largest products (of ${x.length})` }), table];
}

function activationDetail(call, k, index) {
  const input = state.values[call.inputs[0]];
  const xv = input[index];
  const rows = [numberRow("x (the layer below, same place)", "input", xv)];
  let computed = null;
  if (call.activation === "softmax") {
    const n = DATA.values[k].shape.at(-1), start = index - (index % n);
    computed = softmaxOf(Array.from(input.slice(start, start + n)))[index - start];
    rows.push(numberRow(`softmax(x)[${index - start}] over the last axis`, "activation", computed));
  } else {
    rows.push(...activationRows(call.activation, xv, "x"));
    if (ACTIVATIONS[call.activation]) computed = ACTIVATIONS[call.activation](xv);
  }
  return [...rows, ...modelRow(k, index, computed)];
}

function otherDetail(call, k, index) {
  const sameShape = call.inputs.length === 1 &&
    JSON.stringify(DATA.values[call.inputs[0]].shape) === JSON.stringify(DATA.values[k].shape);
  const rows = [element("p", { className: "help", text: `No step-by-step view of ${call.type} ` +
    "here: the number is the model's own output." })];
  if (sameShape) rows.push(numberRow("its input, same place", "input",
    state.values[call.inputs[0]][index]));
  rows.push(numberRow("the model's output", "model", state.values[k][index]));
  return rows;
}

// ---- where the network looks ------------------------------------------------------------------
function drawExplanations() {
  if (state.image === null) return;
  const n = state.image, image = DATA.images[n];
  const k = Number(document.getElementById("explain-class").value);
  const layer = Number(document.getElementById("cam-layer").value);
  const area = IMAGE_H * IMAGE_W;
  const maps = state.maps;
  const signed = new Int8Array(maps.buffer);
  const at = (method) => (method * K + k) * area;  // saliency 0, SmoothGrad 1, occlusion 2
  const panels = [];
  const panel = (canvas, caption, name) => element("div", { className: "panel",
    "data-panel": name }, [canvas, element("div", { text: caption })]);
  const note = (scale) => (scale > 0 ? "" : " \u2014 all zero");
  const sal = image.scales.saliency[k], smooth = image.scales.smoothgrad[k];
  const occ = image.scales.occlusion[k];
  panels.push(panel(paint(element("canvas"), IMAGE_H, IMAGE_W, hot,
    (i) => maps[at(0) + i] / 255), `saliency |dz/dx| (max ${sal.toExponential(2)})${note(sal)}`,
  "saliency"));
  const smoothCaption = image.smoothgrad_done[k]
    ? `SmoothGrad, ${DATA.settings.smoothgrad_samples} noisy copies ` +
      `(max ${smooth.toExponential(2)})${note(smooth)}`
    : "SmoothGrad: not computed for this class (only for the predicted and the true " +
      "class; explore(..., smoothgrad_every_class=True) computes every class)";
  panels.push(panel(paint(element("canvas"), IMAGE_H, IMAGE_W, hot,
    (i) => maps[at(1) + i] / 255), smoothCaption, "smoothgrad"));
  if (DATA.cam_layers.length) panels.push(camPanel(image, k, layer, panel));
  panels.push(panel(paint(element("canvas"), IMAGE_H, IMAGE_W, diverging,
    (i) => signed[at(2) + i] / 127), `occlusion: drop of p(${DATA.class_names[k]}) when a ` +
    `${DATA.settings.occlusion_patch}x${DATA.settings.occlusion_patch} patch hides it; red: ` +
    `a drop, blue: a rise (max ${occ.toFixed(3)})${note(occ)}`, "occlusion"));
  document.getElementById("explanation-panels").replaceChildren(...panels);
}

// Grad-CAM at layer l: its small map stretched over the image (the browser interpolates).
function camPanel(image, k, l, panel) {
  const area = IMAGE_H * IMAGE_W;
  let offset = 3 * K * area;
  for (let m = 0; m < l; m++) offset += K * size(DATA.values[DATA.cam_layers[m].output].shape.slice(0, 2));
  const [h, w] = DATA.values[DATA.cam_layers[l].output].shape;
  const heat = paint(element("canvas"), h, w, jet, (i) => state.maps[offset + k * h * w + i] / 255);
  const canvas = element("canvas", { className: "smooth" });
  canvas.width = 4 * IMAGE_W;
  canvas.height = 4 * IMAGE_H;
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;
  context.drawImage(document.querySelector(`.thumb[data-image="${state.image}"] canvas`),
    0, 0, canvas.width, canvas.height);
  context.imageSmoothingEnabled = true;
  context.drawImage(heat, 0, 0, canvas.width, canvas.height);
  const scale = image.scales.gradcam[l][k];
  const caption = `Grad-CAM at ${DATA.cam_layers[l].name} (max ${scale.toExponential(2)})` +
    (scale > 0 ? "" : " \u2014 all zero: no positive evidence at this layer");
  return panel(canvas, caption, "gradcam");
}

function fillControls() {
  const classes = document.getElementById("explain-class");
  DATA.class_names.forEach((name, k) => classes.append(element("option", { value: k, text: name })));
  const layers = document.getElementById("cam-layer");
  DATA.cam_layers.forEach((layer, l) => layers.append(element("option", { value: l,
    text: `${layer.name} ${JSON.stringify(DATA.values[layer.output].shape.slice(0, 2))}` })));
  layers.value = DATA.cam_layers.length - 1;
  classes.addEventListener("change", drawExplanations);
  layers.addEventListener("change", drawExplanations);
  if (DATA.cam_layers.length === 0) layers.parentElement.hidden = true;
}

async function start() {
  document.getElementById("title").textContent = DATA.title;
  fillControls();
  await readWeights();
  await drawGrid();
  await pick(0);
  document.body.dataset.ready = "yes";  // for the tests: the first image is drawn
}
start();
