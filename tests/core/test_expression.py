"""Typed backward lines: the lesson's lines give the lesson's arrays, torch's edge cases hold,
everything off the lists is refused with one sentence and a caret, and nothing hostile gets out."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradlab import Network, backward_steps, preset, random_network, run
from gradlab import expression_ops as ops
from gradlab.expression import ExpressionError, Line, check, evaluate, parse_line


def regression_net(dtype: type = np.float64, seed: int = 0) -> tuple[dict, dict]:
    """The lesson's net by hand: batch 4, 3 → 4 → relu → 1, mse; values and the reference gradients."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((4, 1)).astype(dtype)
    w1, b1 = rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal(4).astype(dtype)
    w2, b2 = rng.standard_normal((4, 1)).astype(dtype), rng.standard_normal(1).astype(dtype)
    l1 = x @ w1 + b1
    l2 = np.maximum(l1, 0)
    out = l2 @ w2 + b2
    g = {"out": 2 * (out - y) / out.size}
    g["l2"] = g["out"] @ w2.T
    g["l1"] = (l1 > 0) * g["l2"]
    g["w1"] = np.einsum("bi,bo->io", x, g["l1"])
    g["b1"] = g["l1"].sum(0)
    g["x"] = g["l1"] @ w1.T
    return {"x": x, "y": y, "w1": w1, "b1": b1, "l1": l1, "l2": l2, "w2": w2, "b2": b2, "out": out}, g


def classifier_net(dtype: type = np.float64) -> dict:
    rng = np.random.default_rng(1)
    return {"x": rng.standard_normal((4, 3)).astype(dtype), "y": np.array([0, 2, 1, 2]),
            "out": rng.standard_normal((4, 3)).astype(dtype)}


VALUES, GRADS = regression_net()


def refused(text: str, values: dict | None = None, grads: dict | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        evaluate(text, VALUES if values is None else values, GRADS if grads is None else grads)
    return caught.value


# --- the lesson's lines --------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "expected"), [
    ("2. * (out - y) / out.numel()", lambda v, g: 2 * (v["out"] - v["y"]) / 4),
    ("out.g @ w2.t()", lambda v, g: g["out"] @ v["w2"].T),
    ("(l1 > 0).float() * l2.g", lambda v, g: np.where(v["l1"] > 0, g["l2"], 0)),
    ("(x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(0)", lambda v, g: g["w1"]),
    ("x.t() @ l1.g", lambda v, g: g["w1"]),
    ("x.T @ l1.g", lambda v, g: g["w1"]),
    ("l1.g @ w1.t()", lambda v, g: g["x"]),
    ("l1.g.sum(0)", lambda v, g: g["b1"]),
    ("torch.where(l1 > 0, 1, 0.01) * l2.g", lambda v, g: np.where(v["l1"] > 0, 1, 0.01) * g["l2"]),
    ("out * (1 - out) * out.g", lambda v, g: v["out"] * (1 - v["out"]) * g["out"]),
    ("(1 - out**2) * out.g", lambda v, g: (1 - v["out"] ** 2) * g["out"]),
])
def test_the_lessons_lines_give_the_lessons_arrays(line, expected):
    result = evaluate(line, VALUES, GRADS)
    want = expected(VALUES, GRADS)
    assert result.shape == want.shape
    np.testing.assert_allclose(result, want, rtol=1e-12, atol=1e-15)


def test_the_mse_line_is_the_reference_out_g():
    np.testing.assert_allclose(evaluate("2. * (out - y) / out.numel()", VALUES, {}), GRADS["out"], rtol=1e-15)


def test_cross_entropy_line_uses_integer_classes_and_outs_columns():
    v = classifier_net()
    e = np.exp(v["out"] - v["out"].max(1, keepdims=True))
    softmax = e / e.sum(1, keepdims=True)
    want = softmax.copy()
    want[np.arange(4), v["y"]] -= 1
    result = evaluate("(softmax(out) - one_hot(y)) / out.shape[0]", v, {})
    np.testing.assert_allclose(result, want / 4, rtol=1e-12)
    np.testing.assert_array_equal(evaluate("one_hot(y)", v, {}), np.eye(3, dtype=int)[v["y"]])
    assert evaluate("one_hot(y)", {"y": np.array([0, 1])}, {}).shape == (2, 2)  # no out: y.max() + 1 classes
    np.testing.assert_array_equal(evaluate("F.one_hot(y, 5).sum(0)", v, {}), [1, 1, 2, 0, 0])
    np.testing.assert_allclose(evaluate("torch.softmax(out, 1)", v, {}), softmax, rtol=1e-12)
    np.testing.assert_allclose(evaluate("out.softmax(-1).sum(1)", v, {}), np.ones(4), rtol=1e-12)


@pytest.mark.parametrize("line", [
    "2. * (out - y) / out.numel()", "(l1 > 0).float() * l2.g", "torch.where(l1 > 0, 1, 0.01) * l2.g",
    "x.t() @ l1.g", "(x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(0)", "l1.g.sum(0)", "(1 - out**2) * out.g",
    "out.sigmoid() * out.g", "l1.g * x.sum()", "l1.g / out.numel()", "-l1.g.mean(0, keepdim=True)",
])
def test_float32_stays_float32(line):
    values, grads = regression_net(np.float32)
    result = evaluate(line, values, {k: v.astype(np.float32) for k, v in grads.items()}, dtype=np.float32)
    assert result.dtype == np.float32
    v64 = evaluate(line, *regression_net(np.float64))
    np.testing.assert_allclose(result, v64, rtol=1e-4, atol=1e-6)


def test_float32_cross_entropy_line_stays_float32():
    result = evaluate("(softmax(out) - one_hot(y)) / out.shape[0]", classifier_net(np.float32), {}, dtype=np.float32)
    assert result.dtype == np.float32


LISTED = [
    *(preset(name) for name in ("lesson", "mazur", "neuron", "classifier")),
    *(random_network([3, 5, 4, 2], activation=kind, loss=loss, reduction=reduction, seed=2)
      for kind in ("relu", "leaky_relu", "sigmoid", "tanh")
      for loss, reduction in (("mse", "mean"), ("half_sse", "sum"), ("cross_entropy", "mean"))),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("net", LISTED, ids=lambda n: n.title or f"{n.layers[1].kind} {n.loss} {n.reduction}")
def test_the_apps_own_listing_evaluates_to_the_networks_gradients(net: Network, dtype: str):
    """Every line network.backward_steps shows, typed back in, gives the gradient network.run computes."""
    net = net.astype(dtype)
    p = run(net)
    values, grads = {"y": net.y, **p.values}, {}
    for step in backward_steps(net):
        for text in step.code:
            line = parse_line(text)
            name = line.target.removesuffix(".g")
            grads[name] = evaluate(line.expression, values, grads, dtype=net.dtype)
            assert grads[name].dtype == net.dtype, text
            np.testing.assert_allclose(grads[name], p.grads[name], rtol=1e-5 if dtype == "float32" else 1e-12,
                                       atol=1e-7 if dtype == "float32" else 1e-15, err_msg=text)
    assert grads.keys() == p.grads.keys()


# --- torch's semantics where numpy's differ ------------------------------------------------------------

@pytest.mark.parametrize(("line", "expected"), [
    ("b1.t()", lambda v: v["b1"]),  # .t() of a vector is the vector
    ("b1.T", lambda v: v["b1"]),
    ("x.squeeze(0)", lambda v: v["x"]),  # dim 0 has 4 entries: squeeze leaves it alone
    ("x.unsqueeze(0).squeeze(0)", lambda v: v["x"]),
    ("out.squeeze()", lambda v: v["out"][:, 0]),
    ("out.squeeze(-1)", lambda v: v["out"][:, 0]),
    ("x.sum(-1)", lambda v: v["x"].sum(1)),
    ("x.sum(dim=-2, keepdim=True)", lambda v: v["x"].sum(0, keepdims=True)),
    ("x.sum(1, True)", lambda v: v["x"].sum(1, keepdims=True)),
    ("x.sum((0, 1))", lambda v: np.asarray(v["x"].sum())),
    ("x.mean(0)", lambda v: v["x"].mean(0)),
    ("x.mean()", lambda v: np.asarray(v["x"].mean())),
    ("x.unsqueeze(-1).shape[2] + x.numel()", lambda v: np.asarray(13.0)),
    ("x.shape[0]", lambda v: np.asarray(4.0)),
    ("x.shape[-1] * x.size(0) + x.size()[1]", lambda v: np.asarray(15.0)),
    ("(out - y)[:, None]", lambda v: (v["out"] - v["y"])[:, None]),
    ("x[..., None, 1:]", lambda v: v["x"][..., None, 1:]),
    ("x[0]", lambda v: v["x"][0]),
    ("x[-1, ::2]", lambda v: v["x"][-1, ::2]),
    ("x[1:x.shape[0] - 1]", lambda v: v["x"][1:3]),
    ("x.view(-1)", lambda v: v["x"].reshape(-1)),
    ("x.reshape(2, -1)", lambda v: v["x"].reshape(2, 6)),
    ("x.view(x.shape).t()", lambda v: v["x"].T),
    ("(l1 > 0).float()", lambda v: (v["l1"] > 0).astype(float)),
    ("(l1 > 0) * 1.0", lambda v: (v["l1"] > 0).astype(float)),
    ("l1.clamp(min=0)", lambda v: np.maximum(v["l1"], 0)),
    ("l1.clamp(-0.5, 0.5)", lambda v: np.clip(v["l1"], -0.5, 0.5)),
    ("l1.clamp_min(0.1)", lambda v: np.maximum(v["l1"], 0.1)),
    ("l1.abs().log().exp()", lambda v: np.abs(v["l1"])),
    ("l1.pow(3) - l1 ** 3.0", lambda v: np.zeros((4, 4))),
    ("l1 ** -2", lambda v: v["l1"] ** -2.0),
    ("torch.relu(l1) - l2", lambda v: np.zeros((4, 4))),
    ("tanh(l1) - torch.tanh(l1)", lambda v: np.zeros((4, 4))),
    ("sigmoid(l1)", lambda v: 1 / (1 + np.exp(-v["l1"]))),
    ("exp(log(l2 + 1))", lambda v: v["l2"] + 1),
    ("+x == x", lambda v: np.ones((4, 3), bool)),
    ("b1 @ b1", lambda v: np.asarray(v["b1"] @ v["b1"])),
    ("x @ b1[:3]", lambda v: v["x"] @ v["b1"][:3]),
    ("2 ** 3 / 4", lambda v: np.asarray(2.0)),
])
def test_torch_semantics(line, expected):
    result = evaluate(line, VALUES, GRADS)
    want = expected(VALUES)
    assert result.shape == want.shape
    assert result.dtype.kind == want.dtype.kind
    np.testing.assert_allclose(result, want, rtol=1e-12, atol=1e-12)


def test_sigmoid_of_huge_numbers_is_0_or_1_without_overflow():
    np.testing.assert_array_equal(evaluate("sigmoid(x)", {"x": np.array([-1e4, 0.0, 1e4])}, {}), [0.0, 0.5, 1.0])


def test_a_0d_tensor_takes_the_dtype_of_the_tensor_it_meets():
    x32 = np.ones((2, 2), np.float32)
    assert evaluate("x * s", {"x": x32, "s": np.asarray(2.0)}, {}).dtype == np.float32
    assert evaluate("x * s", {"x": x32, "s": np.ones(2)}, {}).dtype == np.float64  # numpy's rule between real tensors


def test_the_result_never_shares_memory_with_the_network():
    result = evaluate("x", VALUES, GRADS)
    result[0, 0] = 1e9
    assert VALUES["x"][0, 0] != 1e9
    assert not np.shares_memory(evaluate("l1.g.t()", VALUES, GRADS), GRADS["l1"])


# --- lines and live checking ---------------------------------------------------------------------------

def test_parse_line_splits_target_and_expression():
    assert parse_line("w1.g = x.t() @ l1.g") == Line("w1.g", "x.t() @ l1.g", 7)
    assert parse_line("  out.g=2. * (out - y) / out.numel()  ") == Line("out.g", "2. * (out - y) / out.numel()", 8)
    line = parse_line("b1 . g =   l1.g.sum(0)")
    assert line.target == "b1.g"
    assert "b1 . g =   l1.g.sum(0)"[line.offset:] == line.expression


@pytest.mark.parametrize(("line", "offset"), [
    ("x.t() @ l1.g", 0), ("w1 = x", 0), ("w1.g == x", 0), ("  w1.grad = x", 2), ("w1.g += x", 0), ("", 0),
    ("_w.g = x", 0), ("w1.g = ", 7), ("w1.g = x\nimport os", 8), ("w1.g = " + "x" * 5000, 2100),
])
def test_parse_line_refuses_lines_that_dont_set_a_gradient(line, offset):
    with pytest.raises(ExpressionError) as caught:
        parse_line(line)
    assert caught.value.offset == offset
    assert "\n" not in caught.value.message


def test_check_needs_no_arrays_and_finds_the_same_problems():
    names = ["x", "w1", "l1"]
    check("x.t() @ l1.g", names)
    check("(x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(0, keepdim=True)", names)
    with pytest.raises(ExpressionError, match="no tensor named q; the tensors are x, w1, l1") as caught:
        check("x @ q", names)
    assert caught.value.offset == 4
    with pytest.raises(ExpressionError, match="the power"):
        check("x ** l1", names)
    with pytest.raises(ExpressionError, match="has no keepdims="):
        check("x.sum(0, keepdims=True)", names)


def test_a_gradient_not_yet_written_is_named():
    e = refused("out.g @ w2.t()", grads={})
    assert e.message == "out.g has not been computed yet: write its line first"
    assert e.offset == 0


# --- refusals: one sentence, and the caret where the problem is ------------------------------------------

@pytest.mark.parametrize(("text", "words", "at"), [
    ("q + 1", "there is no tensor named q; the tensors are x, y, w1, b1, l1, l2, w2, b2, out", "q"),
    ("x + q.g", "there is no tensor named q", "q"),
    ("l1.g @ w1", "l1.g @ w1 multiplies a 4×4 matrix by a 3×4 matrix: the inner sizes 4 and 3 must match", "@"),
    ("x + w1", "x + w1 combines a 4×3 matrix and a 3×4 matrix, which don't fit: "
               "counting dimensions from the right, sizes 3 and 4 meet and neither is 1", "+"),
    ("l1 + w1", "combines a 4×4 matrix and a 3×4 matrix, which don't fit", "+"),
    ("x.sum(2)", "x has 2 dimensions, so sum can use dims -2 to 1, not 2", "sum"),
    ("x.unsqueeze(4)", "unsqueeze can use dims -3 to 2, not 4", "unsqueeze"),
    ("x.sum(0.5)", "needs a whole number, not 0.5", "sum"),
    ("x[4]", "x has 4 entries along dimension 0, so index 4 is out of range", "4"),
    ("x[0, 0, 0]", "x has 2 dimensions, but the index picks from 3", "0, 0, 0"),
    ("x[l1]", "indexing with a tensor is not available", "l1]"),
    ("x[l1 > 0]", "picking entries with a comparison is not available", "l1 >"),
    ("x[::-1]", "step must be 1 or more", "::"),
    ("x.view(5, -1)", "x has 12 numbers, which can't be split into rows of 5", "view"),
    ("x.__class__", "names starting with _ are not allowed", "__class__"),
    ("x._private", "names starting with _ are not allowed", "_private"),
    ("__builtins__", "names starting with _ are not allowed", "__builtins__"),
    ("__import__('os').system('ls')", "names starting with _ are not allowed", "__import__"),
    ("().__class__.__bases__[0].__subclasses__()", "() is empty", "()"),
    ("x.numpy()", "numpy is not a tensor method here", "numpy"),
    ("x.sum", "sum is a method: call it", "sum"),
    ("x.shape()", "shape is an attribute, not a method", "shape()"),
    ("x.data", "data is not a tensor method here", "data"),
    ("(2).exp()", "numbers have no methods or attributes", "exp"),
    ("2 .real", "numbers have no methods or attributes", "real"),
    ("x.numel().float()", "x.numel() is a number, and only tensors have methods", "float"),
    ("open('f')", "there is no function named open", "open"),
    ("getattr(x, 'T')", "there is no function named getattr", "getattr"),
    ("x(1)", "x is a tensor, not a function", "x("),
    ("x.sum()(1)", "only methods and functions can be called", "x.sum()(1)"),
    ("torch.load(x)", "torch.load is not available", "load"),
    ("torch.exp", "torch.exp is a function: call it", "exp"),
    ("torch", "torch needs a function after it", "torch"),
    ("softmax", "softmax is a function: call it", "softmax"),
    ("lambda: 0", "lambda is not part of the notation", "lambda"),
    ("[i for i in x]", "loops like [… for …]", "[i"),
    ("(i for i in x)", "loops like (… for …)", "(i"),
    ("{1: x}", "curly brackets", "{"),
    ("[x, x]", "square brackets only go right after a tensor", "["),
    ("f'{x}'", "text in quotes", "f'"),
    ("'x'", "text in quotes", "'x'"),
    ("b'x'", "text in quotes", "b'x'"),
    ("(y := x)", ":= is not part of the notation", "y :="),
    ("x.sum(*x)", "* in front of an argument", "*x"),
    ("x.sum(**x)", "** in front of an argument", "**x"),
    ("x.sum(0, keepdim=1)", "keepdim must be True or False", "1)"),
    ("x.sum(out=x)", "x.sum has no out=; it takes dim=, keepdim=", "out="),
    ("x.sum(0, dim=1)", "x.sum was given dim twice", "sum"),
    ("x.unsqueeze()", "x.unsqueeze is written x.unsqueeze(dim)", "unsqueeze"),
    ("x.t(0)", "x.t is written x.t()", "t(0)"),
    ("torch.where(l1, 1, 0)", "torch.where needs a comparison first", "where"),
    ("x if x else x", "use torch.where", "x if"),
    ("x and x", "and and or don't work on tensors", "x and"),
    ("not x", "not and ~ are not part of the notation", "not"),
    ("~x", "not and ~ are not part of the notation", "~"),
    ("x % 2", "that operator is not part of the notation", "% 2"),
    ("x // 2", "that operator is not part of the notation", "// 2"),
    ("0 < x < 1", "compare two things at a time", "< 1"),
    ("x is x", "is and in are not part of the notation", "is x"),
    ("x, x", "makes a pair", "x, x"),
    ("True * x", "True and False only go after keepdim=", "True"),
    ("None", "None only goes inside square brackets", "None"),
    ("...", "... only goes inside square brackets", "..."),
    ("1j * x", "imaginary numbers", "1j"),
    ("x * 1e999", "this number is too large", "1e999"),
    ("x ** l1", "the power l1 must be a plain number such as 2", "l1"),
    ("9**9**9", "the power 9**9 must be a plain number such as 2", 3),
    ("x ** 65", "the power 65 is too large; powers go up to 64", "65"),
    ("x.pow(-100)", "the power -100 is too large", "-100"),
    ("x.pow(x.numel())", "the power x.numel() must be a plain number", "x.numel()"),
    ("x.shape", "this line gives a list of sizes, not a tensor", "x.shape"),
    ("x.shape + 1", "x.shape is a list of sizes; pick one", "x.shape +"),
    ("x.shape[0:5][7]", "has 2 sizes, so 7 is out of range", "7"),
    ("one_hot(x)", "one_hot needs class numbers", "one_hot"),
    ("F.one_hot(y.float(), 3)", "one_hot needs class numbers", "one_hot"),
    ("x @ 2", "needs tensors on both sides of @", "@"),
    ("x.clamp()", "x.clamp needs min=, max= or both", "clamp"),
    ("x.clamp(min=x)", "clamp's min must be a number", "clamp"),
    ("x.", "this line can't be read here", None),
    ("(x", "this ( is never closed", "(x"),
    ("x)", "this ) doesn't close anything", ")"),
    ("x × w1", "the character × is not part of the notation", "×"),
    ("2x", "write 2 * x, not 2x", None),
    ("", "write an expression", None),
    ("   ", "write an expression", None),
    ("x\n+ x", "write the line on one line", "\n"),
    ("x; import os", "this line can't be read here", None),
    ("x.＿＿class＿＿", "the character ＿ is not part of the notation", "＿＿"),
])
def test_refusals_are_one_sentence_with_a_caret(text, words, at):
    e = refused(text)
    assert words in e.message
    assert "\n" not in e.message
    assert "Traceback" not in e.message and "ast." not in e.message
    assert e.offset is not None
    if at is not None:
        assert e.offset == (at if isinstance(at, int) else text.index(at)), (e.message, e.offset)
        caret = e.caret(text).split("\n")
        assert caret[0] == text.split("\n")[0] or "\n" in text
        assert caret[-1] == " " * e.offset + "^"


def test_caret_handles_tabs_and_no_offset():
    assert ExpressionError("m", 2).caret("\tx+") == "\tx+\n\t ^"
    assert ExpressionError("m").caret("x") == "x"
    assert ExpressionError("m", 99).caret("ab") == "ab\n  ^"


def test_offsets_are_columns_in_characters_not_bytes():
    text = "x + é"
    e = refused(text)
    assert e.offset == 4
    assert "there is no tensor named é" in e.message
    e = refused("é + x.q", values={"é": np.ones(2), "x": np.ones(2)}, grads={})
    assert e.offset == 6
    assert e.caret("é + x.q") == "é + x.q\n      ^"


@pytest.mark.parametrize(("text", "words"), [
    ("(out - out).log()", "takes the log of 0"),
    ("(l1 - l1) / (l1 - l1)", "no defined value"),
    ("x / (x - x)", "divides by zero"),
    ("x.exp().exp().exp().exp()", "overflows"),
    ("x.log()", "no defined value"),  # x has negative entries
    ("(-8) ** 0.5", "no defined value"),
    ("1 / 0", "divides by zero"),
    ("x * 1e300 * 1e300", "overflows"),
])
def test_results_that_are_not_numbers_are_refused(text, words):
    e = refused(text)
    assert words in e.message


def test_a_non_finite_network_value_is_caught_in_the_result():
    e = refused("x", values={"x": np.array([1.0, np.inf])}, grads={})
    assert "not finite" in e.message


# --- limits, checked before the work -----------------------------------------------------------------------

def test_length_is_refused_before_parsing():
    e = refused("x+" * 500_000 + "x")
    assert e.message == "the line is 1,000,001 characters long; the most is 2,000"


def test_deep_brackets_are_refused_before_parsing():
    e = refused("(" * 100_000 + "x" + ")" * 100_000)
    assert "the line is" in e.message
    e = refused("(" * 41 + "x" + ")" * 41)
    assert e.message == "brackets are nested more than 40 deep here"
    assert e.offset == 40
    assert evaluate("(" * 40 + "x" + ")" * 40, VALUES, {}).shape == (4, 3)


@pytest.mark.parametrize("text", ["-" * 1500 + "x", "x" + ".t()" * 450, "+".join(["x"] * 700)])
def test_long_chains_are_refused_before_walking(text):
    assert "too many steps" in refused(text).message


def test_broadcasts_too_big_are_refused_naming_the_shapes():
    big = {"x": np.ones((1000, 1000))}
    e = refused("x.unsqueeze(-1).unsqueeze(-1) * x", values=big, grads={})
    assert e.message == ("x.unsqueeze(-1).unsqueeze(-1) * x would give a 1000×1000×1000×1000 tensor "
                         "(1,000,000,000,000 numbers), more than the 20,000,000 allowed")
    assert e.offset == len("x.unsqueeze(-1).unsqueeze(-1) ")
    assert "more than the 20,000,000 allowed" in refused("x[:, :, None] * x[None]", values=big, grads={}).message
    assert "one_hot(y) would give" in refused("one_hot(y)", values={"y": np.array([0, 10**8])}, grads={}).message


def test_the_limit_grows_to_the_networks_own_tensors(monkeypatch):
    monkeypatch.setattr(ops, "MAX_ELEMENTS", 100)
    x = np.ones(300)
    assert evaluate("x * 2", {"x": x}, {}).shape == x.shape
    e = refused("x[:2, None] * x", values={"x": x}, grads={})
    assert e.message == "x[:2, None] * x would give a 2×300 matrix (600 numbers), more than the 300 allowed"


def test_matmul_work_is_budgeted(monkeypatch):
    monkeypatch.setattr(ops, "MAX_MATMUL", 10_000)
    x = np.ones((20, 20))
    assert evaluate("x @ x", {"x": x}, {}).shape == (20, 20)  # 8 000 multiply-adds
    e = refused("x @ x @ x", values={"x": x}, grads={})
    assert e.message == "x @ x @ x needs more than 10,000 multiplications in all, too many to work out here"
    assert e.offset == 6


def test_a_long_line_of_big_steps_is_stopped(monkeypatch):
    monkeypatch.setattr(ops, "MAX_ELEMENTS", 100)
    x = np.ones(100)
    assert "works through more than 2,500 numbers in all" in refused(" + ".join(["x"] * 30), values={"x": x}, grads={}).message


# --- security: hostile lines in a child process with a memory ceiling ----------------------------------------

CHILD = r"""
import resource, sys
import numpy as np
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from gradlab.expression import ExpressionError, evaluate
text = sys.stdin.read()
values = {"x": np.ones((1000, 1000)), "y": np.zeros(1000, dtype=np.int64), "out": np.zeros((1000, 3))}
try:
    evaluate(text, values, {"out": np.zeros((1000, 3))})
except ExpressionError as e:
    print("refused:", e.message)
else:
    print("accepted")
print("qt" if any(m.startswith("PySide6") for m in sys.modules) else "no qt")
"""

HOSTILE = [
    "__import__('os').system('touch MARKER')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__.__init__.__globals__['os'].system('touch MARKER')",
    "x.__class__",
    "lambda: 0",
    "[i for i in x]",
    "open('MARKER', 'w')",
    "exec('open(\"MARKER\", \"w\")')",
    "eval('1')",
    "compile('1', 'f', 'eval')",
    "getattr(x, '__class__')",
    "breakpoint()",
    "f\"{open('MARKER', 'w')}\"",
    "(m := open('MARKER', 'w'))",
    "torch.load('MARKER')",
    "F.__dict__",
    "x.＿＿class＿＿",
    "9**9**9",
    "(" * 100_000 + "x" + ")" * 100_000,
    "-" * 1999 + "x",
    "x.unsqueeze(-1).unsqueeze(-1) * x",
    "x[:, :, None, None] * x[None, None]",
    "one_hot(y, 100000000)",
    " @ ".join(["x"] * 20),
    "x.exp().exp().exp().exp()",
    "x+" * 500_000 + "x",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: t[:40])
def test_hostile_lines_are_refused_in_a_memory_capped_child(text, tmp_path):
    marker = tmp_path / "marker"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD], input=text.replace("MARKER", str(marker)), capture_output=True,
                          text=True, timeout=20, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("refused: "), done.stdout
    assert lines[1] == "no qt"
    assert not marker.exists()
    assert list(tmp_path.iterdir()) == []


# --- fuzzing: nothing but ExpressionError, ever ------------------------------------------------------------

TOKENS = ["x", "y", "w1", "b1", "l1", "l2", "out", "q", ".g", ".t()", ".T", ".sum(", ".unsqueeze(", ".squeeze(",
          ".view(", ".shape", "[", "]", "(", ")", ",", ":", "None", "...", "0", "1", "-1", "2.", "1e308", "keepdim=True",
          "dim=", " + ", " - ", " * ", " / ", " ** ", " @ ", " > ", " == ", "-", "softmax(", "one_hot(",
          "torch.where(", ".float()", ".exp()", ".log()", ".numel()", ".clamp(min=", ".mean(", ".pow(", "__class__",
          "_", "'", "lambda", " for ", "=", " "]


def outcome(fn, *args) -> object:
    """What ``fn`` returns, or the ExpressionError it raises (anything else fails the test)."""
    try:
        return fn(*args)
    except ExpressionError as e:
        return e


def assert_only_expression_errors(text: str) -> None:
    result = outcome(evaluate, text, {**VALUES, "y": np.array([0, 1, 0, 0])}, GRADS)
    if isinstance(result, ExpressionError):
        assert "\n" not in result.message
        assert "bug in GradLab" not in result.message, (text, result.__cause__)
        assert result.offset is None or 0 <= result.offset <= len(text)
    else:
        assert isinstance(result, np.ndarray)
    line = outcome(parse_line, text)
    assert isinstance(line, Line) or "\n" not in line.message


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=24).map("".join))
def test_token_soup_only_raises_expression_errors(text):
    assert_only_expression_errors(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="xyl12.gt()[]:,*+-/@<>=!_ Ne", max_size=30))
def test_character_soup_only_raises_expression_errors(text):
    assert_only_expression_errors(text)


LEAVES = st.sampled_from(["x", "y", "w1", "b1", "l1", "out", "l1.g", "out.g", "x.g", "0", "1", "-1", "2.", "0.5", "None", "q"])
SUFFIXES = [".t()", ".T", ".sum(0)", ".sum(-1, keepdim=True)", ".unsqueeze(1)", ".squeeze()", ".squeeze(0)", ".float()",
            ".exp()", ".log()", ".abs()", "[:, None]", "[0]", "[..., 1:]", "[::2, -1]", ".view(-1)", ".reshape(2, -1)",
            ".shape[0]", ".numel()", ".mean()", ".softmax(-1)", ".clamp(min=0)", ".pow(2)", " ** 2", " ** -1", ".g", ".size(1)"]
FUNCTIONS = ["softmax", "one_hot", "exp", "log", "sigmoid", "torch.relu", "F.one_hot", "tanh", "torch.softmax"]


def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "@", ">", "=="]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from(SUFFIXES)).map("".join),
        st.tuples(st.sampled_from(FUNCTIONS), inner, st.sampled_from(["", ", 1", ", -1", ", 3"])).map(lambda t: f"{t[0]}({t[1]}{t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"torch.where({t[0]} > 0, {t[1]}, 0.01)"),
    )


@settings(max_examples=400, deadline=None)
@given(st.recursive(LEAVES, grow, max_leaves=12))
def test_well_formed_lines_only_raise_expression_errors(text):
    assert_only_expression_errors(text)
