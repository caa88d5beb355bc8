namespace Dcgan.Nn.Checkpoints;

/// <summary>
/// A checkpoint file that cannot be used. The message is one line: the file, what is wrong, what was expected
/// (for example <c>g.safetensors: tensor "main.0.weight" has 100 data bytes; expected 4096 for F32 [4, 4, 8, 8]</c>).
/// </summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string message) : base(message)
    {
    }

    public CheckpointException(string message, Exception inner) : base(message, inner)
    {
    }
}
