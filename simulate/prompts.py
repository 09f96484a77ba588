"""Prompt text from per-category template grammars: slot filling, paraphrase, translation.

A prompt is addressed by five small integers: category, family (framing x skeleton),
variant (0 canonical, then paraphrases, then translation-like rewrites), slot fill
and elicitation (none, step-by-step, rubric grading). The last family of every
category holds follow-up turns. Traffic generation draws these integers with numpy;
only the distinct prompts a batch uses are rendered (and SimHashed), once, and
events point at them, so text never costs a Python call per event.
"""

from __future__ import annotations

import functools
import random
import string

import numpy as np

from distillguard.contract.spec import TASK_CATEGORIES

FRAMINGS = ("", "Quick question. ", "I'm working on {project}. ", "Context: {project}. ")
SKELETONS: dict[str, tuple[str, ...]] = {
    "coding": (
        "Write a {lang} function that {task}, and handle {edge}.",
        "Refactor this {lang} module so that it {goal}:\n```{lang}\n{code}\n```",
        "Why does my {lang} code raise {error} when it {task}?",
        "Add unit tests in {lang} for a function that {task}; cover {edge}.",
        "Implement {algo} in {lang} and explain its complexity.",
        "Review this {lang} diff for bugs and {goal}:\n{code}",
    ),
    "agentic": (
        "You are an autonomous agent with shell access. Goal: {goal} in the {project} repo. "
        "Plan, call tools, and report.",
        "Use the browser tool to {webtask} and return a JSON summary.",
        "Run the test suite of {project}, find the failing test about {edge} and fix it.",
        "Operate the desktop: open {app}, {webtask}, then take a screenshot.",
        "Given these tool results, decide the next action to {goal}:\n{code}",
        "Migrate {project} from {lang} 2 to {lang} 3 step by step using the file tools.",
    ),
    "reasoning": (
        "A train leaves {city} at {n1}:00 going {n2} km/h; another leaves later. {riddle}",
        "Is the following argument valid? {argument}",
        "{riddle} Explain your answer.",
        "Compare two strategies for {goal} and decide which is better under {edge}.",
        "Solve this logic puzzle: {puzzle}",
        "What is wrong with this proof? {argument}",
    ),
    "math": (
        "Compute the integral of x^{n1} * e^({n2}x) from 0 to {n1}.",
        "Prove that the sum of the first {n1} odd numbers is a perfect square.",
        "Solve for x: {n1}x^2 - {n2}x + {n3} = 0.",
        "Find the eigenvalues of [[{n1}, {n2}], [{n3}, {n1}]].",
        "How many ways can {n1} people sit around a table if {n2} must sit together?",
        "Show that {n1}^{n2} mod {n3} equals what, and explain.",
    ),
    "writing": (
        "Write a {tone} email to {person} about {topic}.",
        "Summarise this text in {n1} bullet points: {topic}.",
        "Draft a blog post on {topic} for {audience}.",
        "Rewrite this paragraph to sound more {tone}: {topic}.",
        "Write a cover letter for a {job} position.",
        "Translate into plain English: {topic}.",
    ),
    "chat": (
        "What's a good recipe with {food}?",
        "Can you recommend a book about {topic}?",
        "How do I {life}?",
        "Tell me a fun fact about {animal}.",
        "What should I do this weekend in {city}?",
        "Explain {topic} like I'm five.",
    ),
    "vision": (
        "Describe what is in this image of {scene}.",
        "Extract the table from this screenshot of {app} as CSV.",
        "What UI element should I click in this {app} screenshot to {webtask}?",
        "Read the handwritten notes in this photo about {topic}.",
        "Is there anything unusual in this picture of {scene}?",
        "Convert this whiteboard photo of {algo} into {lang} code.",
    ),
    "other": (
        "Classify this support ticket: {topic}.",
        "Extract the named entities from: {topic}.",
        "Generate {n1} test questions about {topic}.",
        "Convert this date to ISO format: {n1}/{n2}/20{n3}.",
        "Give me {n1} names for a {job} startup.",
        "Tag the sentiment of: '{topic}'.",
    ),
}
FOLLOW_UPS = (
    "That fails with {error}. Fix it.",
    "Continue.",
    'Tool result: {{"status": "ok", "rows": {n1}, "file": "{project}/main"}}',
    "Now make it handle {edge}.",
    "Thanks! Can you make it shorter?",
    "Tool result: exit code {n3}; stderr: {error}",
    "Explain the second step in more detail.",
    "Good. Next: {goal}.",
)
SLOTS: dict[str, tuple[str, ...]] = {
    "lang": ("Python", "TypeScript", "Rust", "Go", "Java", "C++", "Kotlin", "Ruby", "C#", "SQL"),
    "task": ("parses ISO-8601 dates", "merges overlapping intervals", "deduplicates a CSV",
             "retries HTTP calls with backoff", "streams a large JSON file", "validates emails",
             "computes a rolling median", "renders a tree as text", "rate-limits a queue",
             "diffs two directories", "caches results with a TTL", "tokenises log lines"),
    "edge": ("empty input", "unicode", "time zones", "concurrent writers", "huge files",
             "network timeouts", "negative numbers", "duplicate keys", "null values"),
    "goal": ("reduce memory use", "remove global state", "add type hints", "make it async",
             "improve error messages", "speed up the hot loop", "split it into modules",
             "add structured logging", "support pagination"),
    "error": ("KeyError", "a segfault", "TypeError: undefined", "a deadlock", "IndexError",
              "ConnectionResetError", "an OOM kill", "a borrow-checker error"),
    "code": ("def f(x):\n    return x[0] + g(x)", "for i in range(n): total += a[i] * b[i]",
             "const r = await fetch(u); return r.json()", "SELECT * FROM t WHERE id IN (...)",
             "fn main() { let v = vec![1]; }", "if err != nil { return err }"),
    "algo": ("Dijkstra's algorithm", "a B-tree", "union-find", "an LRU cache", "KMP search",
             "a trie", "topological sort", "reservoir sampling"),
    "project": ("a payments service", "an internal dashboard", "a CLI tool", "a mobile app",
                "a data pipeline", "a game server", "my thesis code", "an open-source library"),
    "webtask": ("find the cheapest flight to Lisbon", "fill in the signup form",
                "download last month's invoices", "compare three laptops",
                "collect the pricing tables", "book a meeting room"),
    "app": ("a spreadsheet", "the settings panel", "a CRM", "a terminal", "a web shop"),
    "city": ("Lisbon", "Osaka", "Toronto", "Nairobi", "Berlin", "Austin", "Seoul", "Lima"),
    "riddle": ("When do they meet?", "Which statement must be true?",
               "Who is lying if exactly one person tells the truth?",
               "How many handshakes happen in total?"),
    "argument": ("All cats are mammals; some mammals fly; so some cats fly.",
                 "If it rains the road is wet; the road is wet; so it rained.",
                 "Every even number above 2 is a sum of two primes, since 10 = 3 + 7."),
    "puzzle": ("five houses, five colours, who owns the fish?",
               "three boxes mislabelled, one draw allowed",
               "a knight and a knave at a fork in the road"),
    "tone": ("formal", "friendly", "persuasive", "apologetic", "concise"),
    "person": ("my landlord", "a client", "the hiring manager", "my team", "a professor"),
    "topic": ("climate adaptation", "quantum computing", "the French revolution", "sourdough",
              "remote work", "vaccines", "interest rates", "sleep hygiene", "open source"),
    "audience": ("beginners", "executives", "teenagers", "engineers", "parents"),
    "job": ("data analyst", "nurse", "backend engineer", "teacher", "designer"),
    "food": ("chickpeas", "leftover rice", "salmon", "tofu", "spinach", "lentils"),
    "life": ("fix a leaky tap", "start running", "negotiate a raise", "learn chess faster",
             "keep basil alive"),
    "animal": ("octopuses", "crows", "tardigrades", "axolotls", "honeybees"),
    "scene": ("a busy street", "a kitchen", "a circuit board", "a bar chart", "a forest"),
}  # fmt: skip
NUMBERS = {"n1": (2, 40), "n2": (2, 90), "n3": (2, 99)}
PARAPHRASE = (
    ("Write", "Implement"), ("function", "routine"), ("Explain", "Walk me through"),
    ("Why does", "How come"), ("Add", "Please add"), ("Compare", "Contrast"),
    ("What", "Which"), ("Describe", "Tell me"), ("Summarise", "Condense"), ("and", "as well as"),
)  # fmt: skip
TRANSLATION_PREFIX = ("Por favor, ", "Bitte: ", "S'il vous plait, ", "Per favore: ", "Prosze: ")
ELICIT = (
    "",
    " Think step by step and write out your full reasoning before the final answer.",
    "Grade the answer below on a 1-10 rubric for correctness, clarity and completeness; "
    "justify each score. Question: ",
)


@functools.lru_cache(maxsize=512)
def _fields(template: str) -> tuple[str, ...]:
    """Slot names of a template, in order."""
    return tuple(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(template) if f))


class Grammar:
    """The prompt address space and its renderer."""

    def __init__(self, seed: int, slot_fills: int, paraphrases: int, translations: int):
        self.seed = seed
        self.categories = TASK_CATEGORIES
        self.families = len(FRAMINGS) * 6 + 1  # last: follow-ups
        self.variants = 1 + paraphrases + translations
        self.paraphrases = paraphrases
        self.slot_fills = slot_fills
        self.elicit = len(ELICIT)

    def address(self, cat, fam, var, fill, eli) -> np.ndarray:
        """Flat int64 prompt ids from their five coordinates (numpy arrays)."""
        a = np.asarray(cat, np.int64) * self.families + fam
        a = a * self.variants + var
        a = a * self.slot_fills + fill
        return a * self.elicit + eli

    def render(self, pid: int) -> str:
        """The text of one prompt id."""
        pid, eli = divmod(int(pid), self.elicit)
        pid, fill = divmod(pid, self.slot_fills)
        pid, var = divmod(pid, self.variants)
        cat, fam = divmod(pid, self.families)
        rng = random.Random(((self.seed * 1_000_003 + cat) * 1009 + fam) * 100_003 + fill)
        category = self.categories[cat]
        if fam == self.families - 1:
            text = FOLLOW_UPS[rng.randrange(len(FOLLOW_UPS))]
        else:
            framing, skel = divmod(fam, 6)
            text = FRAMINGS[framing] + SKELETONS[category][skel]
        values = {}
        for f in _fields(text):
            if f in NUMBERS:
                values[f] = rng.randrange(*NUMBERS[f])
            else:
                values[f] = SLOTS[f][rng.randrange(len(SLOTS[f]))]
        text = text.format(**values)
        if 1 <= var <= self.paraphrases:
            vr = random.Random(self.seed * 31 + var)
            for i in vr.sample(range(len(PARAPHRASE)), 3):
                a, b = PARAPHRASE[i]
                text = text.replace(a, b, 1)
            if var % 2 == 0:
                text = "Hi. " + text.replace(". ", ".\n", 1)
        elif var > self.paraphrases:
            words = text.split(" ")
            k = var % max(2, min(len(words), 5))
            text = (
                TRANSLATION_PREFIX[var % len(TRANSLATION_PREFIX)]
                + " ".join(words[k:] + words[:k]).lower()
            )
        if eli == 1:
            text += ELICIT[1]
        elif eli == 2:
            text = ELICIT[2] + text
        return text

    def render_many(self, pids: np.ndarray) -> list[str]:
        """Texts for many prompt ids (call on distinct ids only)."""
        return [self.render(p) for p in pids.tolist()]
