#!/usr/bin/env python3
"""Writes a Llama-family safetensors folder (config.json + one fp32/fp16 model.safetensors, such as
RandomCheckpoint's random TinyLlama) as an F16 GGUF with llama.cpp's own gguf-py writer.

llama.cpp's convert_hf_to_gguf.py needs torch, transformers and a real tokenizer; a random-weight
benchmark model has no tokenizer, so this writes the same tensors (same names, the same q/k
permutation from rotate-half to interleaved rope pairs, norms kept fp32) with a placeholder
32000-entry SentencePiece vocabulary. Speed does not depend on the token strings.

usage: safetensors_to_gguf.py MODEL_DIR OUT.gguf  (PYTHONPATH must hold llama.cpp's gguf-py)
"""
import json
import struct
import sys

import numpy as np

import gguf


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    kinds = {"F32": np.float32, "F16": np.float16}
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        tensors[name] = data[begin:end].view(kinds[t["dtype"]]).reshape(t["shape"])
    return tensors


def permute(w, n_head):
    # transformers' rotate-half q/k rows -> GGUF's interleaved pairs (convert_hf_to_gguf.LlamaModel.permute)
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gguf_name(hf):
    fixed = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    if hf in fixed:
        return fixed[hf]
    parts = hf.split(".")  # model.layers.N.<module>.<proj>.weight
    layer, rest = parts[2], ".".join(parts[3:])
    per_layer = {"input_layernorm.weight": "attn_norm", "post_attention_layernorm.weight": "ffn_norm",
                 "self_attn.q_proj.weight": "attn_q", "self_attn.k_proj.weight": "attn_k",
                 "self_attn.v_proj.weight": "attn_v", "self_attn.o_proj.weight": "attn_output",
                 "mlp.gate_proj.weight": "ffn_gate", "mlp.up_proj.weight": "ffn_up",
                 "mlp.down_proj.weight": "ffn_down"}
    return "blk.%s.%s.weight" % (layer, per_layer[rest])


def main(model_dir, out):
    cfg = json.load(open(model_dir + "/config.json"))
    n_head, n_kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hidden, vocab = cfg["hidden_size"], cfg["vocab_size"]
    tensors = read_safetensors(model_dir + "/model.safetensors")

    w = gguf.GGUFWriter(out, "llama")
    w.add_name("random-tinyllama")
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(hidden)
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_rope_dimension_count(hidden // n_head)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_rope_freq_base(cfg.get("rope_theta", 10000.0))
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL] + [gguf.TokenType.BYTE] * 256
    while len(tokens) < vocab:
        tokens.append("\u2581t%d" % len(tokens))
        types.append(gguf.TokenType.NORMAL)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * vocab)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)

    order = list(tensors)

    def converted(name):
        t = tensors[name]
        if name.endswith("q_proj.weight"):
            t = permute(t, n_head)
        elif name.endswith("k_proj.weight"):
            t = permute(t, n_kv)
        return t.astype(np.float32 if t.ndim == 1 else np.float16)

    for name in order:
        t = tensors[name]
        dtype = np.float32 if t.ndim == 1 else np.float16
        w.add_tensor_info(gguf_name(name), t.shape, np.dtype(dtype), t.size * np.dtype(dtype).itemsize)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for name in order:  # one tensor in memory at a time
        w.write_tensor_data(converted(name))
    w.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
