// The explorer's step-by-step views: what the page shows when a unit is clicked (explorer.js
// holds the data, the drawing and the rest; explore.py puts both files into the page's one
// script, this one first). One function a kind of layer, each redoing the unit's arithmetic in
// float64 from the model's outputs of the layer below and its weights:
//   convDetail       Conv2D: the window on every input channel, kernel, products, sum, bias,
//                    z, the activation
//   poolDetail       MaxPool2D (the winner) and AveragePooling2D (the mean)
//   batchnormDetail  BatchNormalization (last axis): moving statistics, gamma, beta
//   denseDetail      Dense: the largest products, sum, bias, z, the activation or softmax
//   activationDetail a stand-alone activation layer
//   otherDetail      any other layer: the model's own number, and a sentence saying so
"use strict";

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
