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
// output for that unit: the two agree to float32 rounding (units.js: one view a layer kind).
"use strict";

const DATA = JSON.parse(document.getElementById("explorer-data").textContent);
const FLOATS = DATA.dtype === "float64" ? Float64Array : Float32Array;
const K = DATA.class_names.length;
const [IMAGE_H, IMAGE_W] = DATA.values[0].shape;
const MAX_BARS = 128;        // a 1-D value longer than this is drawn as a strip of pixels
const STRIP_WIDTH = 32;
const state = { image: null, values: null, maps: null, unit: null, picks: 0 };

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
  const asked = ++state.picks;
  const values = await readValues(n);
  const maps = await inflate(DATA.images[n].maps);
  if (asked !== state.picks) return;  // another image was picked while this one loaded
  state.image = n;
  state.values = values;
  state.maps = maps;
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
