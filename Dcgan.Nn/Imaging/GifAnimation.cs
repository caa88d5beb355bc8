// An animated GIF of sample grids (one per epoch, say), looping forever, written atomically.
// GIF frame delays are in hundredths of a second, so the delay given in milliseconds is rounded to 10 ms.
using Dcgan.Nn.Checkpoints;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace Dcgan.Nn.Imaging;

public sealed class GifAnimation : IDisposable
{
    Image<Rgb24>? animation;

    /// <summary>Frames added so far.</summary>
    public int FrameCount => animation?.Frames.Count ?? 0;

    /// <summary>How long each frame shows, in milliseconds (stored as hundredths of a second).</summary>
    public int FrameDelayMilliseconds { get; }

    public GifAnimation(int frameDelayMilliseconds = 500)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frameDelayMilliseconds);
        FrameDelayMilliseconds = frameDelayMilliseconds;
    }

    /// <summary>Appends a copy of <paramref name="frame"/>; every frame must have the first frame's size.</summary>
    public void AddFrame(Image<Rgb24> frame)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(frame);
        ImageFrame<Rgb24> added;
        if (animation is null)
        {
            animation = frame.Clone();
            while (animation.Frames.Count > 1)
                animation.Frames.RemoveFrame(1);
            animation.Metadata.GetGifMetadata().RepeatCount = 0; // 0 = loop forever
            added = animation.Frames.RootFrame;
        }
        else
        {
            if (frame.Width != animation.Width || frame.Height != animation.Height)
                throw new ArgumentException($"frame is {frame.Width}×{frame.Height}; expected " +
                                            $"{animation.Width}×{animation.Height} like the first frame", nameof(frame));
            added = animation.Frames.AddFrame(frame.Frames.RootFrame);
        }
        added.Metadata.GetGifMetadata().FrameDelay = (int)Math.Round(FrameDelayMilliseconds / 10.0);
    }

    /// <summary>Writes the animation to <paramref name="path"/>, atomically.</summary>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (animation is null)
            throw new InvalidOperationException("a GIF needs at least one frame; none was added");
        var encoder = new GifEncoder { ColorTableMode = GifColorTableMode.Local };
        AtomicFile.Write(path, stream => animation.Save(stream, encoder));
    }

    /// <summary>Writes <paramref name="frames"/> as one looping GIF, atomically.</summary>
    public static void Save(string path, IEnumerable<Image<Rgb24>> frames, int frameDelayMilliseconds = 500)
    {
        using var gif = new GifAnimation(frameDelayMilliseconds);
        foreach (var frame in frames)
            gif.AddFrame(frame);
        gif.Save(path);
    }

    bool disposed;

    public void Dispose()
    {
        animation?.Dispose();
        animation = null;
        disposed = true;
    }
}
