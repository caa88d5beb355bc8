"""What every kernel generator here shares: the lines it emits, and writing them to its file in Dcgan.Kernels/Conv."""
import os


class Emitter:
    """Collects a generated file's lines: `w(line)` appends one."""

    def __init__(self):
        self.lines = []

    def __call__(self, line):
        self.lines.append(line)

    def write(self, file_name):
        """Writes the lines to Dcgan.Kernels/Conv/<file_name>, newline-terminated, and says so."""
        path = os.path.join(os.path.dirname(__file__), "..", "Dcgan.Kernels", "Conv", file_name)
        with open(path, "w") as f:
            f.write("\n".join(self.lines) + "\n")
        print(f"wrote {os.path.normpath(path)} ({len(self.lines)} lines)")
