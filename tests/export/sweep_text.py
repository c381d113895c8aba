"""A sweep of third-party models etch has never seen: Hugging Face transformers
(text, vision, speech) and torchaudio, on tiny configs built here with seeded
weights (no hub downloads). Each is exported the zoo's way, portable and
XNNPACK, with ExecuTorch's runtime outputs as the oracle. Never run by CI:

    ZOO=tests/export/sweep_text.py /opt/et/bin/python ../shared/models/export.py /work/sweep/text [NAME ...]
    bash tests/export/sweep_text.sh /work/sweep/text     # etch inspect + verify, one line per program

docs/SWEEP_TEXT.md has the results.
"""
# export.py puts its own folder, where zoo.py lives, on the import path.
import numpy as np
import torch
import torch.nn as nn
from zoo import simple, rand, tensor  # noqa: F401  (tensor is used by export.py)

VOCAB = 128
SEQ = 8


def ids(seed, n=SEQ, vocab=VOCAB):
    return np.random.default_rng(seed).integers(3, vocab, (1, n)).astype(np.int64)


class First(nn.Module):
    """A Hugging Face model called with keyword inputs; returns the output's tensors."""

    def __init__(self, model, keys, **fixed):
        super().__init__()
        self.model, self.keys, self.fixed = model, keys, fixed

    def forward(self, *xs):
        out = self.model(**dict(zip(self.keys, xs)), **self.fixed)
        if isinstance(out, torch.Tensor):
            return out
        vals = out.to_tuple() if hasattr(out, "to_tuple") else tuple(out)
        return tuple(v for v in vals if isinstance(v, torch.Tensor))


def build(cls, config, seed):
    torch.manual_seed(seed)
    m = cls(config).eval()
    # HF's init leaves norms at 1 and biases at 0: perturb them so their code paths show.
    with torch.no_grad():
        for n, p in m.named_parameters():
            if p.dim() == 1:
                p.add_(torch.randn_like(p) * 0.1)
    return m


def hf(cls_name, cfg_name, keys=("input_ids",), inputs=None, seed=0, sub=None, fixed=None, **cfg):
    def make():
        import transformers

        config = getattr(transformers, cfg_name)(**cfg)
        m = build(getattr(transformers, cls_name), config, seed)
        if sub:
            m = getattr(m, sub)() if callable(getattr(m, sub)) else getattr(m, sub)
        return First(m, keys, **(fixed or {}))

    return simple(make, inputs or (lambda k: [ids(100 + k)]), xnnpack=True, about=f"transformers {cls_name}")


def pixels(size=32, ch=3):
    return lambda k: [rand((1, ch, size, size), 200 + k)]


def audio(n=1600):
    return lambda k: [rand((1, n), 300 + k, scale=0.5)]


ENC = dict(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
           max_position_embeddings=64)
DEC = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
           num_key_value_heads=2, max_position_embeddings=64, tie_word_embeddings=False)
NOCACHE = {"use_cache": False}
VIT = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, image_size=32, patch_size=8)
W2V = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, conv_dim=(16, 16, 16),
           conv_stride=(5, 2, 2), conv_kernel=(10, 3, 3), num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
           vocab_size=32)

MODELS = {
    # encoders
    "bert": hf("BertModel", "BertConfig", **ENC),
    "distilbert": hf("DistilBertModel", "DistilBertConfig", vocab_size=VOCAB, dim=64, n_layers=2, n_heads=4, hidden_dim=128,
                     max_position_embeddings=64),
    "roberta": hf("RobertaModel", "RobertaConfig", **ENC),
    "albert": hf("AlbertModel", "AlbertConfig", embedding_size=32, **ENC),
    "electra": hf("ElectraModel", "ElectraConfig", embedding_size=32, **ENC),
    # decoders, full sequence, no cache
    "gpt2": hf("GPT2LMHeadModel", "GPT2Config", fixed=NOCACHE, vocab_size=VOCAB, n_embd=64, n_layer=2, n_head=4, n_positions=64),
    "gpt_neo": hf("GPTNeoForCausalLM", "GPTNeoConfig", fixed=NOCACHE, vocab_size=VOCAB, hidden_size=64, num_layers=2, num_heads=4,
                  attention_types=[[["global", "local"], 1]], window_size=4, max_position_embeddings=64),
    "opt": hf("OPTForCausalLM", "OPTConfig", fixed=NOCACHE, vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, ffn_dim=128,
              num_attention_heads=4, word_embed_proj_dim=64, max_position_embeddings=64),
    "bloom": hf("BloomForCausalLM", "BloomConfig", fixed=NOCACHE, vocab_size=VOCAB, hidden_size=64, n_layer=2, n_head=4),
    "falcon": hf("FalconForCausalLM", "FalconConfig", fixed=NOCACHE, vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2,
                 num_attention_heads=4, max_position_embeddings=64),
    "phi": hf("PhiForCausalLM", "PhiConfig", fixed=NOCACHE, vocab_size=VOCAB, hidden_size=64, intermediate_size=128,
              num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=64),
    "gemma": hf("GemmaForCausalLM", "GemmaConfig", fixed=NOCACHE, head_dim=16, **DEC),
    "gemma2": hf("Gemma2ForCausalLM", "Gemma2Config", fixed=NOCACHE, head_dim=16, sliding_window=4, **DEC),
    "mistral": hf("MistralForCausalLM", "MistralConfig", fixed=NOCACHE, sliding_window=4, **DEC),
    "llama": hf("LlamaForCausalLM", "LlamaConfig", fixed=NOCACHE, **DEC),
    "qwen2": hf("Qwen2ForCausalLM", "Qwen2Config", fixed=NOCACHE, **DEC),
    # encoder-decoders
    "t5_encoder": hf("T5EncoderModel", "T5Config", vocab_size=VOCAB, d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4),
    "t5": hf("T5Model", "T5Config", keys=("input_ids", "decoder_input_ids"), fixed=NOCACHE,
             inputs=lambda k: [ids(100 + k), ids(110 + k, 4)], vocab_size=VOCAB, d_model=64, d_kv=16, d_ff=128, num_layers=2,
             num_heads=4),
    "bart_encoder": hf("BartModel", "BartConfig", sub="get_encoder", vocab_size=VOCAB, d_model=64, encoder_layers=2,
                       decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128,
                       decoder_ffn_dim=128, max_position_embeddings=64),
    "bart": hf("BartModel", "BartConfig", keys=("input_ids", "decoder_input_ids"), fixed=NOCACHE,
               inputs=lambda k: [ids(100 + k), ids(110 + k, 4)], vocab_size=VOCAB, d_model=64, encoder_layers=2,
               decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128,
               decoder_ffn_dim=128, max_position_embeddings=64),
    # vision
    "vit": hf("ViTModel", "ViTConfig", keys=("pixel_values",), inputs=pixels(), **VIT),
    "deit": hf("DeiTModel", "DeiTConfig", keys=("pixel_values",), inputs=pixels(), **VIT),
    "swin": hf("SwinModel", "SwinConfig", keys=("pixel_values",), inputs=pixels(), image_size=32, patch_size=4, embed_dim=16,
               depths=[1, 1], num_heads=[2, 2], window_size=4),
    "convnext": hf("ConvNextModel", "ConvNextConfig", keys=("pixel_values",), inputs=pixels(), num_stages=2,
                   hidden_sizes=[16, 32], depths=[1, 1]),
    "mobilevit": hf("MobileViTModel", "MobileViTConfig", keys=("pixel_values",), inputs=pixels(64), image_size=64,
                    hidden_sizes=[32, 48, 64], neck_hidden_sizes=[8, 8, 16, 16, 24, 32, 64], num_attention_heads=2),
    "segformer": hf("SegformerForSemanticSegmentation", "SegformerConfig", keys=("pixel_values",), inputs=pixels(),
                    num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1], hidden_sizes=[16, 32], num_attention_heads=[1, 2],
                    patch_sizes=[7, 3], strides=[4, 2], mlp_ratios=[2, 2], decoder_hidden_size=32, num_labels=4),
    "clip_text": hf("CLIPTextModel", "CLIPTextConfig", vocab_size=VOCAB, hidden_size=64, intermediate_size=128,
                    num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=16),
    "clip_vision": hf("CLIPVisionModel", "CLIPVisionConfig", keys=("pixel_values",), inputs=pixels(), **VIT),
    # speech
    "whisper_encoder": hf("WhisperModel", "WhisperConfig", keys=("input_features",), sub="get_encoder",
                          inputs=lambda k: [rand((1, 16, 32), 400 + k)], vocab_size=VOCAB, d_model=64, encoder_layers=2,
                          encoder_attention_heads=4, decoder_layers=2, decoder_attention_heads=4, encoder_ffn_dim=128,
                          decoder_ffn_dim=128, num_mel_bins=16, max_source_positions=16, max_target_positions=16,
                          pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1),
    "wav2vec2": hf("Wav2Vec2Model", "Wav2Vec2Config", keys=("input_values",), inputs=audio(), **W2V),
    "hubert": hf("HubertModel", "HubertConfig", keys=("input_values",), inputs=audio(), **W2V),
    "distilhubert": hf("HubertModel", "HubertConfig", keys=("input_values",), inputs=audio(), feat_extract_norm="group",
                       do_stable_layer_norm=False, **{**W2V, "num_hidden_layers": 1}),
    "speech2text_encoder": hf("Speech2TextModel", "Speech2TextConfig", keys=("input_features",), sub="get_encoder",
                              inputs=lambda k: [rand((1, 20, 16), 410 + k)], vocab_size=VOCAB, d_model=64, encoder_layers=2,
                              decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128,
                              decoder_ffn_dim=128, input_feat_per_channel=16, input_channels=1, conv_channels=32,
                              conv_kernel_sizes=(5, 5), max_source_positions=64, max_target_positions=64),
}


# ---------------------------------------------------------------- torchaudio
# PyPI has no torchaudio for torch 2.15: 2.11.1 (pure Python models and
# transforms) goes beside the venv with `pip install --no-deps --target DIR`
# and comes in through PYTHONPATH=DIR.
class Audio(nn.Module):
    """A torchaudio model; `lengths` (full length) is built inside, the first output returned."""

    def __init__(self, model, lengths=False):
        super().__init__()
        self.model, self.lengths = model, lengths

    def forward(self, x):
        if self.lengths:
            out = self.model(x, torch.full((x.shape[0],), x.shape[1], dtype=torch.int64))
        else:
            out = self.model(x)
        return out[0] if isinstance(out, tuple) else out


def ta(make, inputs, seed=0, lengths=False, xnnpack=True):
    def build_ta():
        torch.manual_seed(seed)
        m = make().eval()
        with torch.no_grad():
            for p in m.parameters():
                if p.dim() == 1:
                    p.add_(torch.randn_like(p) * 0.1)
        return Audio(m, lengths)

    return simple(build_ta, inputs, xnnpack=xnnpack, about="torchaudio")


def ta_models():
    import torchaudio.models as M
    import torchaudio.models.conformer as conformer
    import torchaudio.transforms as T

    # torchaudio's padding mask reads max(lengths) with .item(), which export
    # cannot trace; every call here is full length, so the mask is all False.
    conformer._lengths_to_padding_mask = lambda lengths: torch.zeros((lengths.shape[0], 12), dtype=torch.bool)

    return {
        "ta_wav2vec2": ta(lambda: M.wav2vec2_model(
            extractor_mode="group_norm", extractor_conv_layer_config=[(16, 10, 5), (16, 3, 2), (16, 3, 2)],
            extractor_conv_bias=False, encoder_embed_dim=64, encoder_projection_dropout=0.0, encoder_pos_conv_kernel=16,
            encoder_pos_conv_groups=4, encoder_num_layers=2, encoder_num_heads=4, encoder_attention_dropout=0.0,
            encoder_ff_interm_features=128, encoder_ff_interm_dropout=0.0, encoder_dropout=0.0,
            encoder_layer_norm_first=False, encoder_layer_drop=0.0, aux_num_out=8), audio()),
        "ta_conformer": ta(lambda: M.Conformer(input_dim=32, num_heads=4, ffn_dim=64, num_layers=2, depthwise_conv_kernel_size=7),
                           lambda k: [rand((1, 12, 32), 500 + k)], lengths=True),
        "ta_emformer": ta(lambda: M.Emformer(input_dim=32, num_heads=4, ffn_dim=64, num_layers=2, segment_length=4,
                                             right_context_length=1), lambda k: [rand((1, 13, 32), 510 + k)], lengths=True),
        "ta_convtasnet": ta(lambda: M.ConvTasNet(num_sources=2, enc_kernel_size=16, enc_num_feats=32, msk_kernel_size=3,
                                                 msk_num_feats=16, msk_num_hidden_feats=32, msk_num_layers=2, msk_num_stacks=1),
                            # ExecuTorch's XNNPACK ChannelsLastTaggedReshapePass fails on it
                            lambda k: [rand((1, 1, 800), 520 + k, scale=0.5)], xnnpack=False),
        "ta_deepspeech": ta(lambda: M.DeepSpeech(n_feature=16, n_hidden=32, n_class=10), lambda k: [rand((1, 1, 20, 16), 530 + k)]),
        "ta_wav2letter": ta(lambda: M.Wav2Letter(num_classes=10, input_type="mfcc", num_features=13),
                            lambda k: [rand((1, 13, 40), 540 + k)]),
        "ta_spectrogram": ta(lambda: T.Spectrogram(n_fft=64, hop_length=16), audio(400)),
        "ta_melspectrogram": ta(lambda: T.MelSpectrogram(sample_rate=8000, n_fft=64, hop_length=16, n_mels=8), audio(400)),
        "ta_mfcc": ta(lambda: T.MFCC(sample_rate=8000, n_mfcc=8, melkwargs=dict(n_fft=64, hop_length=16, n_mels=16)), audio(400)),
    }


try:
    MODELS.update(ta_models())
except ImportError:  # no torchaudio on the path: the transformers models alone
    pass
