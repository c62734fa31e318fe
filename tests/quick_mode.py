"""A PyTensor mode for graphs that tests evaluate a few times each."""

from pytensor.compile.mode import Mode

# Python's implementations of the operations are fast enough for a few evaluations, where
# compiling them to C takes seconds per graph on a machine whose PyTensor cache is empty
QUICK = Mode(linker="py", optimizer="fast_compile")
