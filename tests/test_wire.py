"""The pickle-free encoding: what crosses the boundary, and what is refused."""

import struct

import pytest
import torch

from gradkit.untrusted import wire


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool,
                                   torch.bfloat16, torch.float16])
def test_tensors_round_trip_with_dtype_shape_and_values(dtype):
    for shape in [(), (0,), (3,), (2, 3), (2, 1, 2)]:
        t = (torch.arange(torch.Size(shape).numel()) % 3).reshape(shape).to(dtype)
        back = wire.decode(wire.encode({"v": t}))["v"]
        assert back.dtype == dtype and back.shape == t.shape and torch.equal(back, t)


def test_non_contiguous_tensors_and_graph_facts_travel():
    x = torch.randn(3, 4, requires_grad=True)
    y = (x * 2).T
    back = wire.decode(wire.encode({"v": y}))["v"]
    assert torch.equal(back, y.detach()) and not back.requires_grad
    assert back.gk_meta.requires_grad and back.gk_meta.has_grad_fn and back.gk_meta.device == "cpu"


def test_plain_values_round_trip_preserving_tuple_and_list():
    value = (1, 2.5, float("nan"), float("inf"), True, None, "文字", [1, (2, 3)], {"a": 2**60})
    back = wire.decode(wire.encode({"v": value}))["v"]
    assert type(back) is tuple and type(back[7]) is list and type(back[7][1]) is tuple
    assert back[2] != back[2] and back[3] == float("inf") and back[8]["a"] == 2**60
    assert back[:2] + back[4:7] == value[:2] + value[4:7]


@pytest.mark.parametrize("junk", [object(), {1: 2}, [[[[[[[[[[[1]]]]]]]]]]], list(range(20000)),
                                  torch.randn(2).to_sparse(), "x" * 200_000])
def test_junk_is_refused_with_a_plain_message(junk):
    with pytest.raises(wire.WireError) as err:
        wire.encode({"v": junk})
    assert "the result" in str(err.value)


def test_subclasses_that_lie_about_their_type_are_refused():
    class Sneaky(float):
        def __eq__(self, other):
            return True
    with pytest.raises(wire.WireError):
        wire.encode({"v": Sneaky(1.0)})


def test_malformed_frames_are_refused():
    good = wire.encode({"v": torch.ones(2)})
    (hlen,) = struct.unpack(">I", good[:4])
    for bad in [b"", b"\x00\x00\x00\x05{}", good[:-1], good + b"x",
                struct.pack(">I", hlen) + good[4:4 + hlen].replace(b'"float32"', b'"object"') + good[4 + hlen:],
                struct.pack(">I", 2) + b"[]"]:
        with pytest.raises(wire.WireError):
            wire.decode(bad)
