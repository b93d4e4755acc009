"""The prompt playground of notebook 03: an ipywidgets app, with its logic testable without a browser.

    app = build_playground(model, tokenizer)
    app                                   # in a notebook: shows the app

Tab "Try a prompt": a system prompt, a template with an {input} slot, optional
examples (one per line, `input => answer`), an input, and the model's answer,
streamed as it is written, with its token counts and latency (to the first token
and to the end). Tab "Compare two prompts": prompts A and B run on the same N
examples of a data split, scored by `helpers.prompting.evaluation.evaluate`, with a paired
test of B against A (`app.compare_paired`).

Every part is an attribute (`app.template`, `app.run_button`, `app.output_text`,
`app.answer`, `app.compare_results`, ...), so tests set values, call `.click()` and read the results. A problem
(an empty template, no {input} slot, impossible settings) shows a message in the
output area; the app keeps working.
"""

import html

import ipywidgets as widgets
import pandas as pd

from ..core.errors import CourseError
from ..core.statistics import compare_paired
from ..llm.generation import generate
from .data import balanced_sample
from .evaluation import evaluate
from .tasks import REVIEW_INSTRUCTION, get_task

SLOT = "{input}"
TASKS = ("reviews", "tickets")  # the tasks the compare mode measures on
DEFAULT_TEMPLATE = REVIEW_INSTRUCTION + "\n\nReview: {input}"
STRICT_TEMPLATE = DEFAULT_TEMPLATE + "\n\nReply with the label only."
DEFAULT_INPUT = "The kettle boils fast, but the lid is flimsy and the handle gets hot."
WIDE = widgets.Layout(width="100%")
TAB_TITLES = ("Try a prompt", "Compare two prompts")


def fill_template(template: str, text: str) -> str:
    """Put `text` into the template's {input} slot (other braces, e.g. JSON examples, are left alone)."""
    if not template or not template.strip():
        raise CourseError("The template is empty: write an instruction with an {input} slot, e.g. 'Classify: {input}'.")
    if SLOT not in template:
        raise CourseError("The template has no {input} slot: add {input} where the text to process should go.")
    return template.replace(SLOT, text)


def parse_examples(text: str) -> list[tuple[str, str]]:
    """Examples written one per line as `input => answer` (blank lines are skipped)."""
    examples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "=>" not in line:
            raise CourseError(f"Example line {number} has no '=>': write each example as 'input text => answer'.")
        given, answer = (part.strip() for part in line.rsplit("=>", 1))
        if not given or not answer:
            raise CourseError(f"Example line {number} needs text on both sides of '=>'.")
        examples.append((given, answer))
    return examples


def build_messages(system: str, template: str, text: str, examples: str = "") -> list[dict]:
    """Chat messages for one input: optional system prompt, examples as solved turns, then the input."""
    messages = [{"role": "system", "content": system}] if system.strip() else []
    for given, answer in parse_examples(examples):
        messages += [
            {"role": "user", "content": fill_template(template, given)},
            {"role": "assistant", "content": answer},
        ]
    return messages + [{"role": "user", "content": fill_template(template, text)}]


def load_split(task: str, split: str) -> pd.DataFrame:
    """The course data for a task and split (the compare tab's default data source)."""
    return get_task(task).split(split)


class PromptEditor(widgets.VBox):
    """System prompt, template and examples: the three parts of a prompt, as text boxes."""

    def __init__(self, title: str, template: str, system: str = "", examples: str = ""):
        self.system = widgets.Textarea(value=system, placeholder="System prompt (optional)", layout=WIDE, rows=2)
        self.template = widgets.Textarea(
            value=template, placeholder="Template with an {input} slot", layout=WIDE, rows=5
        )
        self.examples = widgets.Textarea(
            value=examples, placeholder="Examples (optional), one per line: input => answer", layout=WIDE, rows=3
        )
        super().__init__(
            [widgets.HTML(f"<b>{title}</b>"), self.system, self.template, self.examples],
            layout=widgets.Layout(width="100%"),
        )

    def pattern(self):
        """The prompt as a pattern `text -> messages`, checked once now so mistakes show before any work."""
        system, template, examples = self.system.value, self.template.value, self.examples.value
        build_messages(system, template, "example", examples)
        return lambda text: build_messages(system, template, text, examples)


class Playground(widgets.VBox):
    """The whole app; see the module docstring. `load` returns a DataFrame for (task, split)."""

    def __init__(self, model, tokenizer, load=load_split, max_tokens_limit: int = 256):
        self.model, self.tokenizer, self.load = model, tokenizer, load
        self.temperature = widgets.FloatSlider(value=0.0, min=0.0, max=2.0, step=0.05, description="temperature")
        self.top_p = widgets.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="top_p")
        self.max_new_tokens = widgets.IntSlider(value=16, min=1, max=max_tokens_limit, description="max tokens")
        self.seed = widgets.IntText(value=0, description="seed", layout=widgets.Layout(width="160px"))

        self.editor = PromptEditor("Prompt", DEFAULT_TEMPLATE)
        self.system, self.template, self.examples = self.editor.system, self.editor.template, self.editor.examples
        self.input = widgets.Textarea(
            value=DEFAULT_INPUT, placeholder="The text for the {input} slot", layout=WIDE, rows=2
        )
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.output = widgets.HTML()
        self.output_text = ""
        self.answer = None  # the last Generation (text, token counts, seconds), for code that reads results
        self.run_button.on_click(lambda _: self.run())

        self.prompt_a = PromptEditor("Prompt A", DEFAULT_TEMPLATE)
        self.prompt_b = PromptEditor("Prompt B", STRICT_TEMPLATE)
        self.task = widgets.Dropdown(options=TASKS, value="reviews", description="task")
        self.split = widgets.Dropdown(options=["validation", "test"], value="validation", description="split")
        self.n_examples = widgets.IntSlider(value=8, min=1, max=100, description="examples")
        self.method = widgets.Dropdown(options=["generate", "score"], value="generate", description="method")
        self.compare_button = widgets.Button(description="Compare", button_style="primary", icon="balance-scale")
        self.compare_output = widgets.HTML()
        self.compare_text = ""
        self.compare_results = None
        self.compare_paired = None  # B against A on the same examples: statistics.PairedComparison
        self.compare_button.on_click(lambda _: self.compare())

        try_tab = widgets.VBox([self.editor, widgets.HTML("<b>Input</b>"), self.input, self.run_button, self.output])
        compare_tab = widgets.VBox(
            [
                widgets.HBox([self.prompt_a, self.prompt_b]),
                widgets.HBox([self.task, self.split]),
                widgets.HBox([self.n_examples, self.method]),
                self.compare_button,
                self.compare_output,
            ]
        )
        self.tabs = widgets.Tab([try_tab, compare_tab])
        for index, title in enumerate(TAB_TITLES):
            self.tabs.set_title(index, title)  # per tab: ipywidgets 7 (Colab) ignores Tab(titles=...)
        settings = widgets.HBox([self.temperature, self.top_p, self.max_new_tokens, self.seed])
        super().__init__([settings, self.tabs])

    def _sampling(self) -> dict:
        return dict(
            max_new_tokens=self.max_new_tokens.value,
            temperature=self.temperature.value,
            top_p=self.top_p.value,
            seed=self.seed.value,
        )

    def _show(self, area: widgets.HTML, text: str, table: str = "") -> str:
        area.value = f"<pre style='white-space: pre-wrap'>{html.escape(text)}</pre>{table}"
        return text

    def _guarded(self, area: widgets.HTML, work) -> str:
        """Run `work` (returns text and optional HTML); show any problem as a message instead of breaking."""
        self._show(area, "⏳ running...")
        try:
            return self._show(area, *work())
        except CourseError as error:
            return self._show(area, f"⚠️ {error}")
        except Exception as error:  # the app must stay alive whatever happens; say what went wrong
            return self._show(area, f"⚠️ Unexpected problem ({type(error).__name__}): {error}")

    def run(self) -> str:
        """Answer the input with the current prompt and settings; returns (and shows) the text."""

        def work():
            if not self.input.value.strip():
                raise CourseError("The input is empty: type a review or a ticket for the {input} slot.")
            messages = self.editor.pattern()(self.input.value)
            written = []

            def show_so_far(piece):  # the answer appears as it is written, not only at the end
                written.append(piece)
                self._show(self.output, "".join(written) + " ▌")

            self.answer = answer = generate(
                self.model, self.tokenizer, messages, on_text=show_so_far, **self._sampling()
            )
            return (
                f"{answer.text}\n\n— {answer.prompt_tokens} prompt tokens, {answer.output_tokens} output tokens, "
                f"first token after {answer.first_token_seconds:.2f} s, all in {answer.seconds:.2f} s",
            )

        self.output_text = self._guarded(self.output, work)
        return self.output_text

    def compare(self) -> str:
        """Score prompts A and B on the same N examples of the chosen split; returns (and shows) the text."""

        def work():
            patterns = {"A": self.prompt_a.pattern(), "B": self.prompt_b.pattern()}
            task = get_task(self.task.value)  # the dropdown's name, resolved once
            data = self.load(self.task.value, self.split.value)
            sample = balanced_sample(data, min(self.n_examples.value, len(data)), label_column=task.label_column)
            options = self._sampling() if self.method.value == "generate" else {}
            runs = [
                evaluate(
                    self.model,
                    self.tokenizer,
                    pattern,
                    sample,
                    task,
                    self.method.value,
                    name=name,
                    **options,
                )
                for name, pattern in patterns.items()
            ]
            summary = pd.concat([run[0] for run in runs], ignore_index=True)
            self.compare_results = summary
            self.compare_paired = compare_paired(
                runs[1][1]["score"], runs[0][1]["score"]
            )  # B against A, example by example
            answers = pd.DataFrame(
                {"expected": runs[0][1]["expected"], "answer A": runs[0][1]["answer"], "answer B": runs[1][1]["answer"]}
            )
            scores = ", ".join(f"{row.pattern}: {row.accuracy:.0%}" for row in summary.itertuples())
            columns = ["pattern", "accuracy", "unparseable_rate", "latency_s", "prompt_tokens", "output_tokens"]
            return (
                f"Accuracy on {len(sample)} {self.split.value} examples — {scores}\n"
                f"{self.compare_paired.describe('B', 'A')}",
                summary[columns].round(3).to_html(index=False) + answers.to_html(index=False),
            )

        self.compare_text = self._guarded(self.compare_output, work)
        return self.compare_text


def build_playground(model, tokenizer, load=load_split, max_tokens_limit: int = 256) -> Playground:
    """The playground app for `model`; `load(task, split)` supplies the compare tab's data."""
    return Playground(model, tokenizer, load=load, max_tokens_limit=max_tokens_limit)
