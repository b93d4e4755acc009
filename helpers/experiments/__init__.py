"""Stage 4, the measured answer (notebooks 05 to 08): the results cache, the head-to-head and its learning curve,
versatility, the hybrid path, house style, effort, findings and verdicts, the advice, `decide` on your own file and
the reference run. Imports every stage before it; nothing imports it."""
