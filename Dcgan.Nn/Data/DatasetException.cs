namespace Dcgan.Nn.Data;

/// <summary>
/// A data set could not be opened or read. The message is one line: the file (or URL), what is wrong, and what
/// was expected, e.g. <c>data/train-images-idx3-ubyte: magic 0x00000801, expected 0x00000803 (IDX unsigned-byte
/// images)</c>. The CLI prints it as is.
/// </summary>
public sealed class DatasetException(string message, Exception? inner = null) : Exception(message, inner);
