import pytest
import torch

from helpers.core.errors import CourseError
from helpers.llm.tinygpt import GPTConfig, TinyGPT


def small_model(seed=0, **sizes):
    torch.manual_seed(seed)
    return TinyGPT(GPTConfig(vocab_size=11, **{"block_size": 16, "n_layer": 2, "n_head": 2, "n_embd": 16, **sizes}))


def test_logits_have_one_score_per_token_and_position():
    model = small_model()
    logits, loss = model(torch.randint(11, (3, 16)))
    assert logits.shape == (3, 16, 11) and loss is None


def test_untrained_loss_is_close_to_uniform_guessing():
    x = torch.randint(11, (4, 16))
    _, loss = small_model()(x, x)
    assert abs(loss.item() - torch.log(torch.tensor(11.0)).item()) < 0.3


def test_attention_is_causal_so_the_future_never_changes_the_past():
    model = small_model()
    x = torch.randint(11, (1, 16))
    changed = x.clone()
    changed[0, 10:] = (changed[0, 10:] + 1) % 11
    assert torch.allclose(model(x)[0][0, :10], model(changed)[0][0, :10], atol=1e-6)


def test_embedding_and_output_weights_are_tied_and_counted_once():
    model = small_model()
    assert model.head.weight is model.token_embedding.weight
    assert model.num_parameters() == sum(p.numel() for p in model.parameters())


def test_generate_appends_tokens_greedily_and_reproducibly_with_a_seed():
    model = small_model()
    start = torch.zeros((1, 1), dtype=torch.long)
    greedy = model.generate(start, 20, temperature=0)
    assert greedy.shape == (1, 21)
    assert torch.equal(greedy, model.generate(start, 20, temperature=0))
    sampled = [model.generate(start, 20, temperature=1.0, generator=torch.Generator().manual_seed(1)) for _ in range(2)]
    assert torch.equal(*sampled)


def test_generate_crops_context_longer_than_the_block():
    assert small_model().generate(torch.zeros((1, 16), dtype=torch.long), 5, temperature=0).shape == (1, 21)


@pytest.mark.parametrize(
    "sizes, message",
    [
        (dict(n_embd=15), "divisible"),
        (dict(n_layer=0), "n_layer"),
        (dict(block_size=2.5), "block_size"),
    ],
)
def test_bad_sizes_get_a_clear_message(sizes, message):
    with pytest.raises(CourseError, match=message):
        small_model(**sizes)


def test_too_long_input_and_negative_temperature_are_refused():
    model = small_model()
    with pytest.raises(CourseError, match="block_size=16"):
        model(torch.zeros((1, 17), dtype=torch.long))
    with pytest.raises(CourseError, match="temperature"):
        model.generate(torch.zeros((1, 1), dtype=torch.long), 3, temperature=-1)
