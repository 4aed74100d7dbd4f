#!/usr/bin/python3
"""Export a PyTorch model to an ntkgram job (docs/torch.md).

  torch2ntk.py FILE.py NAME --input-shape C,H,W | C,L | D [--out DIR]

imports FILE.py, calls NAME (a function or a class that builds an
nn.Module, called without arguments), puts the module in evaluation mode,
traces it with torch.fx and writes

  DIR/model.yaml          a complete ntkgram job: the model section (one
                          layer per torch operation, `name:` = the torch
                          module path of every layer with parameters), the
                          weights file, placeholders for the data;
  DIR/weights.safetensors the parameters and BatchNorm running statistics,
                          float64, under torch's names (written here with
                          struct and json: no safetensors package needed).

Any module or function it cannot map is refused with one line naming it and
its place (the fx node and the module path); then nothing is written and
the exit status is 1. Layouts: ntkgram stores images channels last (H, W, C)
and reads conv weights in torch's (out, in, kh, kw) layout; its flatten
takes torch's (C, H, W) order, so every tensor is written as torch holds it.
"""
import argparse
import importlib.util
import json
import operator
import os
import struct
import sys
import tempfile


class Refusal(Exception):
    """A model the exporter cannot map: the one-line message says where."""


def fail(message):
    print(f"torch2ntk: error: {message}", file=sys.stderr)
    sys.exit(1)


def import_torch():
    try:
        import torch  # noqa: F401
        import torch.fx  # noqa: F401
    except ImportError:
        fail("PyTorch with torch.fx is needed (Debian: apt-get install python3-torch)")
    import torch
    return torch


torch = import_torch()
nn = torch.nn
F = torch.nn.functional


IDENTITY_MODULES = tuple(getattr(nn, name) for name in
                         ("Identity", "Dropout", "Dropout1d", "Dropout2d", "AlphaDropout")
                         if hasattr(nn, name))


def pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def option_pair(value):
    """3 or [3, 5] as ntkgram writes a pair."""
    a, b = value
    return a if a == b else [a, b]


class Exporter:
    """Walks the traced graph backwards from the output, turning the path
    between two values into a list of ntkgram layers; an add of two paths
    from a common fork is a residual block, a cat a parallel block."""

    def __init__(self, module, graph_module, input_rank):
        self.module = module
        self.gm = graph_module
        self.modules = dict(graph_module.named_modules())
        self.order = {node: i for i, node in enumerate(graph_module.graph.nodes)}
        self.ancestors = {}
        self.tensors = []          # (name, tensor) in the order written
        self.used_modules = {}     # path -> node name (weight sharing is refused)
        self.input_rank = input_rank

    # ---- graph helpers ----
    def where(self, node):
        if node.op == "call_module":
            return f"fx node '{node.name}', module '{node.target}'"
        return f"fx node '{node.name}'"

    def tensor_args(self, node):
        """The graph nodes a node reads as tensors (sizes from x.size() are
        not tensors)."""
        out = []

        def visit(arg):
            if isinstance(arg, torch.fx.Node):
                if not (arg.op == "call_method" and arg.target in ("size", "dim")) and \
                        not (arg.op == "call_function" and arg.target is getattr):
                    out.append(arg)
            elif isinstance(arg, (list, tuple)):
                for a in arg:
                    visit(a)
            elif isinstance(arg, dict):
                for a in arg.values():
                    visit(a)
        visit(node.args)
        visit(node.kwargs)
        return out

    def ancestors_of(self, node):
        if node not in self.ancestors:
            found = {node}
            for arg in self.tensor_args(node):
                found |= self.ancestors_of(arg)
            self.ancestors[node] = found
        return self.ancestors[node]

    def fork(self, nodes):
        """The latest node every one of `nodes` depends on."""
        common = set.intersection(*(self.ancestors_of(n) for n in nodes))
        return max(common, key=lambda n: self.order[n])

    def shape(self, node):
        meta = node.meta.get("tensor_meta")
        return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None

    # ---- the path from `source` to `node` ----
    def chain(self, source, node):
        layers = []
        while node is not source:
            if node.op == "placeholder":
                raise Refusal(f"{self.where(node)}: a branch reads the model input past its "
                              f"fork (only blocks of paths from one fork can be mapped)")
            args = self.tensor_args(node)
            if self.is_add(node):
                if node.kwargs.get("alpha", 1) != 1:
                    raise Refusal(f"{self.where(node)}: torch.add with alpha: only x + y maps")
                if len(args) != 2:
                    raise Refusal(f"{self.where(node)}: an add of {len(args)} tensors "
                                  f"(a residual block adds two paths)")
                fork = self.fork(args)
                paths = [self.chain(fork, a) for a in args]
                # the path with parameters (or the longer) is the body
                weight = [(self.has_parameters(p), len(p)) for p in paths]
                body, shortcut = (paths[0], paths[1]) if weight[0] >= weight[1] else \
                    (paths[1], paths[0])
                block = {"body": body}
                if shortcut:
                    block["shortcut"] = shortcut
                layers.insert(0, {"residual": block})
                node = fork
                continue
            if self.is_cat(node):
                fork = self.fork(args)
                branches = [self.chain(fork, a) for a in args]
                layers.insert(0, {"parallel": {"branches": branches, "merge": "concat"}})
                node = fork
                continue
            if len(args) != 1:
                raise Refusal(f"{self.where(node)}: {self.describe(node)} reads {len(args)} "
                              f"tensors; ntkgram maps one-input layers, adds (residual) and "
                              f"cat (parallel concat)")
            mapped = self.map_node(node)
            if mapped is not None:
                layers.insert(0, mapped)
            node = args[0]
        return layers

    def has_parameters(self, layers):
        for layer in layers:
            if isinstance(layer, dict):
                key = next(iter(layer))
                if key in ("dense", "conv", "batch_norm", "layer_norm"):
                    return True
                if key == "residual" and (self.has_parameters(layer[key]["body"]) or
                                          self.has_parameters(layer[key].get("shortcut", []))):
                    return True
                if key == "parallel" and any(self.has_parameters(b)
                                             for b in layer[key]["branches"]):
                    return True
        return False

    @staticmethod
    def is_add(node):
        return (node.op == "call_function" and node.target in (operator.add, operator.iadd,
                                                                torch.add)) or \
            (node.op == "call_method" and node.target in ("add", "add_", "__add__"))

    def is_cat(self, node):
        if not (node.op == "call_function" and node.target in (torch.cat, torch.concat)):
            return False
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
        rank = len(self.shape(node) or ())
        if dim < 0:
            dim += rank
        if dim != 1:
            raise Refusal(f"{self.where(node)}: torch.cat along dim {dim}; ntkgram concatenates "
                          f"along the channels (dim 1)")
        return True

    def describe(self, node):
        if node.op == "call_module":
            module = self.modules[node.target]
            return f"{type(module).__module__}.{type(module).__name__}"
        if node.op == "call_function":
            return getattr(node.target, "__qualname__", str(node.target))
        return f"method '{node.target}'"

    # ---- one node to one layer (None: identity) ----
    def map_node(self, node):
        if node.op == "call_module":
            return self.map_module(node, self.modules[node.target])
        if node.op == "call_function":
            return self.map_function(node)
        if node.op == "call_method":
            return self.map_method(node)
        raise Refusal(f"{self.where(node)}: unsupported graph operation '{node.op}'")

    def activation_of_function(self, node, target, kwargs):
        simple = {F.relu: "relu", torch.relu: "relu", torch.tanh: "tanh", F.tanh: "tanh",
                  torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid", F.silu: "silu",
                  torch.abs: "abs", torch.erf: "erf"}
        if target in simple:
            return simple[target]
        if target is F.gelu:
            if kwargs.get("approximate", "none") != "none":
                raise Refusal(f"{self.where(node)}: F.gelu(approximate='tanh') (ntkgram's gelu is "
                              f"the erf form)")
            return "gelu"
        if target is F.softplus:
            if kwargs.get("beta", 1) != 1 or kwargs.get("threshold", 20) != 20:
                raise Refusal(f"{self.where(node)}: F.softplus with beta or threshold other than "
                              f"1, 20")
            return "softplus"
        if target is F.leaky_relu:
            slope = kwargs.get("negative_slope", node.args[1] if len(node.args) > 1 else 0.01)
            return "leaky_relu" if slope == 0.01 else {"leaky_relu": float(slope)}
        if target is F.elu:
            alpha = kwargs.get("alpha", node.args[1] if len(node.args) > 1 else 1.0)
            return "elu" if alpha == 1.0 else {"elu": float(alpha)}
        return None

    def map_function(self, node):
        target, kwargs = node.target, node.kwargs
        activation = self.activation_of_function(node, target, kwargs)
        if activation is not None:
            return activation
        if target is F.dropout:
            return None
        if target is torch.flatten:
            start = node.args[1] if len(node.args) > 1 else kwargs.get("start_dim", 0)
            end = node.args[2] if len(node.args) > 2 else kwargs.get("end_dim", -1)
            return self.flatten(node, start, end)
        if target in (F.adaptive_avg_pool2d, F.adaptive_avg_pool1d):
            size = node.args[1] if len(node.args) > 1 else kwargs.get("output_size")
            return self.global_pool(node, size)
        if target in (F.avg_pool2d, F.max_pool2d, F.avg_pool1d, F.max_pool1d):
            raise Refusal(f"{self.where(node)}: functional {target.__name__}: write it as "
                          f"nn.{'AvgPool' if 'avg' in target.__name__ else 'MaxPool'} module")
        raise Refusal(f"{self.where(node)}: unsupported function {self.describe(node)}")

    def map_method(self, node):
        method = node.target
        simple = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "abs": "abs"}
        if method in simple:
            return simple[method]
        if method == "flatten":
            start = node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0)
            end = node.args[2] if len(node.args) > 2 else node.kwargs.get("end_dim", -1)
            return self.flatten(node, start, end)
        if method in ("view", "reshape"):
            shape_in, shape_out = self.shape(node.args[0]), self.shape(node)
            if shape_in is not None and shape_out is not None and len(shape_out) == 2 and \
                    shape_out[0] == shape_in[0]:
                return self.flatten(node, 1, -1)
            raise Refusal(f"{self.where(node)}: x.{method} to {shape_out}: only the flatten "
                          f"to (N, features) maps")
        if method in ("contiguous",):
            return None
        raise Refusal(f"{self.where(node)}: unsupported tensor method '{method}'")

    def flatten(self, node, start, end):
        rank = len(self.shape(node.args[0]) or ())
        if start not in (1, 1 - rank) or end not in (-1, rank - 1):
            raise Refusal(f"{self.where(node)}: flatten(start_dim={start}, end_dim={end}): only "
                          f"flatten from dim 1 to the end maps")
        return "flatten"

    def global_pool(self, node, size):
        if size not in (1, (1, 1), [1, 1], (1,), [1]):
            raise Refusal(f"{self.where(node)}: adaptive average pooling to {size}: only "
                          f"output size 1 (global_avg_pool) maps")
        return "global_avg_pool"

    def take(self, node, module, names):
        """The module's tensors under its path, once."""
        path = node.target
        if path in self.used_modules:
            raise Refusal(f"{self.where(node)}: module '{path}' is used twice (at fx node "
                          f"'{self.used_modules[path]}' too): shared weights cannot be mapped")
        self.used_modules[path] = node.name
        for name in names:
            tensor = getattr(module, name, None)
            if tensor is not None:
                self.tensors.append((f"{path}.{name}", tensor.detach()))

    def map_module(self, node, m):
        where = self.where(node)
        simple = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.SiLU: "silu"}
        for kind, name in simple.items():
            if type(m) is kind:
                return name
        if type(m) in IDENTITY_MODULES:
            return None  # evaluation mode: dropout is the identity
        if type(m) is nn.GELU:
            if m.approximate != "none":
                raise Refusal(f"{where}: nn.GELU(approximate='{m.approximate}') (ntkgram's gelu "
                              f"is the erf form)")
            return "gelu"
        if type(m) is nn.Softplus:
            if m.beta != 1 or m.threshold != 20:
                raise Refusal(f"{where}: nn.Softplus(beta={m.beta}, threshold={m.threshold}): "
                              f"only beta 1, threshold 20 map")
            return "softplus"
        if type(m) is nn.LeakyReLU:
            return "leaky_relu" if m.negative_slope == 0.01 else \
                {"leaky_relu": float(m.negative_slope)}
        if type(m) is nn.ELU:
            return "elu" if m.alpha == 1.0 else {"elu": float(m.alpha)}
        if type(m) is nn.Linear:
            if len(self.shape(node.args[0]) or ()) != 2:
                raise Refusal(f"{where}: nn.Linear on a tensor of shape "
                              f"{self.shape(node.args[0])}: ntkgram's dense layer takes flat "
                              f"(N, features) inputs (flatten first)")
            self.take(node, m, ["weight", "bias"])
            options = {"width": m.out_features}
            if m.bias is None:
                options["bias"] = False
            options["name"] = node.target
            return {"dense": options}
        if type(m) in (nn.Conv1d, nn.Conv2d):
            return self.conv(node, m)
        if type(m) in (nn.AvgPool1d, nn.AvgPool2d, nn.MaxPool1d, nn.MaxPool2d):
            return self.pool(node, m)
        if type(m) in (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d):
            return self.global_pool(node, m.output_size)
        if type(m) is nn.Flatten:
            return self.flatten(node, m.start_dim, m.end_dim)
        if type(m) in (nn.BatchNorm1d, nn.BatchNorm2d):
            if not m.affine or not m.track_running_stats:
                raise Refusal(f"{where}: {type(m).__name__}(affine={m.affine}, "
                              f"track_running_stats={m.track_running_stats}): ntkgram's "
                              f"batch_norm is the affine, eval-mode one")
            self.take(node, m, ["weight", "bias", "running_mean", "running_var"])
            options = {"name": node.target}
            if m.eps != 1e-5:
                options = {"eps": float(m.eps), "name": node.target}
            return {"batch_norm": options}
        if type(m) is nn.LayerNorm:
            shape_in = self.shape(node.args[0]) or ()
            if len(m.normalized_shape) != 1 or len(shape_in) != 2 or not m.elementwise_affine:
                raise Refusal(f"{where}: nn.LayerNorm({tuple(m.normalized_shape)}, "
                              f"elementwise_affine={m.elementwise_affine}) on shape "
                              f"{tuple(shape_in)}: only LayerNorm(features) with its affine "
                              f"weight and bias on flat (N, features) values maps")
            self.take(node, m, ["weight", "bias"])
            options = {"name": node.target}
            if m.eps != 1e-5:
                options = {"eps": float(m.eps), "name": node.target}
            if getattr(m, "bias", None) is None:
                raise Refusal(f"{where}: nn.LayerNorm without bias: ntkgram's layer_norm has "
                              f"one")
            return {"layer_norm": options}
        raise Refusal(f"{where}: unsupported module {self.describe(node)}")

    def conv(self, node, m):
        where = self.where(node)
        if m.groups != 1 or any(d != 1 for d in m.dilation):
            raise Refusal(f"{where}: {type(m).__name__} with groups={m.groups}, "
                          f"dilation={m.dilation}: only groups 1, dilation 1 map")
        two_d = type(m) is nn.Conv2d
        kernel, stride = m.kernel_size, m.stride
        options = {"channels": m.out_channels,
                   "kernel": option_pair(kernel) if two_d else kernel[0]}
        if any(s != 1 for s in stride):
            options["stride"] = option_pair(stride) if two_d else stride[0]
        padding = m.padding
        if m.padding_mode == "circular":
            half = tuple(k // 2 for k in kernel)
            if isinstance(padding, str) or tuple(padding) != half or any(k % 2 == 0 for k in kernel) \
                    or any(s != 1 for s in stride):
                raise Refusal(f"{where}: circular padding {padding} with kernel {kernel}, stride "
                              f"{stride}: ntkgram's circular is the same-size wrap of odd "
                              f"kernels, stride 1")
            options["padding"] = "circular"
        elif m.padding_mode != "zeros":
            raise Refusal(f"{where}: padding_mode '{m.padding_mode}': only zeros and circular "
                          f"map")
        elif isinstance(padding, str):
            options["padding"] = padding  # 'same' or 'valid', torch's rules
        else:
            options["padding"] = option_pair(padding) if two_d else padding[0]
        if m.bias is None:
            options["bias"] = False
        options["name"] = node.target
        self.take(node, m, ["weight", "bias"])
        return {"conv": options}

    def pool(self, node, m):
        where = self.where(node)
        name = "avg_pool" if "Avg" in type(m).__name__ else "max_pool"
        two_d = type(m).__name__.endswith("2d")
        if m.ceil_mode:
            raise Refusal(f"{where}: {type(m).__name__}(ceil_mode=True): only floor windows map")
        if name == "avg_pool" and (not m.count_include_pad or
                                   getattr(m, "divisor_override", None) is not None):
            raise Refusal(f"{where}: AvgPool with count_include_pad=False or divisor_override: "
                          f"ntkgram counts the padding in the mean")
        if name == "max_pool" and any(d != 1 for d in pair(m.dilation)):
            raise Refusal(f"{where}: MaxPool with dilation {m.dilation}")
        window = pair(m.kernel_size)
        stride = pair(m.stride if m.stride is not None else m.kernel_size)
        padding = pair(m.padding)
        if not two_d:
            window, stride, padding = (window[0],) * 2, (stride[0],) * 2, (padding[0],) * 2
        options = {"window": option_pair(window)}
        if stride != window:
            options["stride"] = option_pair(stride)
        if padding != (0, 0):
            options["padding"] = option_pair(padding)
        return {name: options}


def flow(value):
    """A YAML flow text of a layer: relu, {dense: {width: 8, name: fc1}}."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"


def write_layers(layers, indent, lines):
    pad = " " * indent
    for layer in layers:
        if isinstance(layer, dict) and next(iter(layer)) == "residual":
            block = layer["residual"]
            lines.append(f"{pad}- residual:")
            lines.append(f"{pad}    body:")
            write_layers(block["body"], indent + 6, lines)
            if block.get("shortcut"):
                lines.append(f"{pad}    shortcut:")
                write_layers(block["shortcut"], indent + 6, lines)
        elif isinstance(layer, dict) and next(iter(layer)) == "parallel":
            block = layer["parallel"]
            lines.append(f"{pad}- parallel:")
            lines.append(f"{pad}    branches:")
            for branch in block["branches"]:
                if branch:
                    lines.append(f"{pad}      -")
                    write_layers(branch, indent + 8, lines)
                else:
                    lines.append(f"{pad}      - []")
            lines.append(f"{pad}    merge: {block['merge']}")
        else:
            lines.append(f"{pad}- {flow(layer)}")


def safetensors_bytes(tensors):
    """The file: 8-byte header length, JSON header padded with spaces to a
    multiple of 8, then each tensor's float64 little-endian data in order."""
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors:
        data = tensor.to(torch.float64).contiguous().cpu().numpy().astype("<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def load_builder(path, name):
    if not os.path.isfile(path):
        fail(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location("torch2ntk_model", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the user's file: report, do not trace back
        fail(f"{path}: importing it failed: {type(error).__name__}: {error}")
    if not hasattr(module, name):
        fail(f"{path}: no function or class '{name}'")
    builder = getattr(module, name)
    try:
        model = builder() if callable(builder) else builder
    except Exception as error:
        fail(f"{path}: {name}() failed: {type(error).__name__}: {error}")
    if not isinstance(model, nn.Module):
        fail(f"{path}: {name}{'()' if callable(builder) else ''} is a "
             f"{type(model).__name__}, not an nn.Module")
    return model


def export(model, input_shape, source):
    """(model.yaml text, weights.safetensors bytes), or a Refusal."""
    from torch.fx.passes.shape_prop import ShapeProp
    model = model.double().eval()
    try:
        traced = torch.fx.symbolic_trace(model)
    except Exception as error:
        raise Refusal(f"torch.fx cannot trace the model: {type(error).__name__}: "
                      f"{str(error).splitlines()[0] if str(error) else ''}")
    example = torch.zeros((2,) + tuple(input_shape), dtype=torch.float64)
    try:
        ShapeProp(traced).propagate(example)
    except Exception as error:
        raise Refusal(f"the model does not run on inputs of shape {tuple(input_shape)}: "
                      f"{type(error).__name__}: {error}")
    nodes = list(traced.graph.nodes)
    inputs = [n for n in nodes if n.op == "placeholder"]
    outputs = [n for n in nodes if n.op == "output"]
    if len(inputs) != 1:
        raise Refusal(f"the model takes {len(inputs)} inputs; ntkgram maps one")
    result = outputs[0].args[0]
    if not isinstance(result, torch.fx.Node):
        raise Refusal("the model returns several values; ntkgram maps one output tensor")
    exporter = Exporter(model, traced, len(input_shape))
    # every node must lie on the path from the input to the output
    layers = exporter.chain(inputs[0], result)
    used = exporter.ancestors_of(result)
    for node in nodes:
        if node.op in ("call_module", "call_function", "call_method") and node not in used and \
                not (node.op == "call_method" and node.target in ("size", "dim")):
            raise Refusal(f"{exporter.where(node)}: {exporter.describe(node)} does not lead to "
                          f"the output")
    out_shape = exporter.shape(result)
    if out_shape is None or len(out_shape) != 2:
        raise Refusal(f"the output has shape {out_shape}: ntkgram's output is (N, k) logits "
                      f"(end the model in a Linear layer)")
    if not layers or not exporter.has_parameters(layers):
        raise Refusal("the model has no layer with parameters")
    if len(input_shape) == 3:
        c, h, w = input_shape
        data_shape = f"N x {h} x {w} x {c} (channels last: x.permute(0, 2, 3, 1) of torch's N x {c} x {h} x {w})"
    elif len(input_shape) == 2:
        c, length = input_shape
        data_shape = f"N x {length} x {c} (channels last: x.permute(0, 2, 1) of torch's N x {c} x {length})"
    else:
        data_shape = f"N x {input_shape[0]}"
    lines = [
        f"# Exported by scripts/torch2ntk.py from {source}",
        f"# (torch input shape {','.join(str(s) for s in input_shape)}; {out_shape[1]} outputs).",
        "# The torch module paths are the layers' names: weights.safetensors holds",
        "# their tensors under torch's names (docs/torch.md).",
        "data:",
        f"  inputs: inputs.npy            # placeholder: float64, {data_shape}",
        f"  # targets: targets.npy        # N x {out_shape[1]}",
        "model:",
        "  parameterization: standard   # the weights are torch's own",
        "  weights: weights.safetensors",
        "  layers:",
    ]
    write_layers(layers, 4, lines)
    lines += ["kernel: {outputs: trace}", "output: {dir: ntkgram-out}", ""]
    return "\n".join(lines), safetensors_bytes(exporter.tensors)


def write_atomically(directory, files):
    """Each file under a temporary name first, then renamed: nothing is left
    under a final name if anything fails."""
    os.makedirs(directory, exist_ok=True)
    # mkstemp makes its files 0600; the outputs get the mode open() would give
    umask = os.umask(0)
    os.umask(umask)
    temporary = []
    try:
        for name, data in files:
            handle, path = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
            temporary.append((path, os.path.join(directory, name)))
            with os.fdopen(handle, "wb") as f:
                f.write(data)
            os.chmod(path, 0o666 & ~umask)
        for path, final in temporary:
            os.replace(path, final)
    except OSError as error:
        for path, _ in temporary:
            if os.path.exists(path):
                os.unlink(path)
        fail(f"{directory}: cannot write: {error}")


def main():
    parser = argparse.ArgumentParser(
        description="Export a PyTorch nn.Module to an ntkgram job (docs/torch.md).")
    parser.add_argument("file", help="the Python file that defines the model")
    parser.add_argument("name", help="a function or class in it that builds the nn.Module")
    parser.add_argument("--input-shape", required=True,
                        help="one input's torch shape: C,H,W (images), C,L (sequences) or D")
    parser.add_argument("--out", default=".", help="the folder for model.yaml and "
                        "weights.safetensors (default: the current one)")
    args = parser.parse_args()
    try:
        shape = tuple(int(s) for s in args.input_shape.split(","))
    except ValueError:
        fail(f"--input-shape {args.input_shape}: expected C,H,W or C,L or D (positive integers)")
    if not 1 <= len(shape) <= 3 or any(s < 1 for s in shape):
        fail(f"--input-shape {args.input_shape}: expected C,H,W or C,L or D (positive integers)")
    torch.set_grad_enabled(False)
    model = load_builder(args.file, args.name)
    source = f"{os.path.basename(args.file)}:{args.name}"
    try:
        text, weights = export(model, shape, source)
    except Refusal as refusal:
        fail(f"{source}: {refusal}; nothing written")
    write_atomically(args.out, [("weights.safetensors", weights),
                                ("model.yaml", text.encode())])
    print(f"torch2ntk: wrote {os.path.join(args.out, 'model.yaml')} and "
          f"{os.path.join(args.out, 'weights.safetensors')}")


if __name__ == "__main__":
    main()
