// Images to judge, from a file: what `dcgan score` and `dcgan eval --images` read.
//   *.safetensors   float32 'images' [N, C, S, S] in [−1, 1] (dcgan sample --tensor-out, bench/pytorch_dcgan_train.py)
//   anything else   a grid picture written by dcgan train or dcgan sample (2-pixel padding, at most 8 per row),
//                   read as greyscale with the given image side
using Dcgan.Nn.Checkpoints;
using Dcgan.Nn.Imaging;

namespace Dcgan.Nn.Evaluation;

/// <summary>count images of channels × size × size floats in [−1, 1], one after another.</summary>
public sealed record ImageSet(float[] Pixels, int Count, int Channels, int Size, string Source);

public static class ImagesFile
{
    public static ImageSet Read(string path, int gridImageSize)
    {
        if (!path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            float[] grey = ImageGrid.ReadGreyscale(path, gridImageSize, out int n);
            return new ImageSet(grey, n, 1, gridImageSize, path);
        }
        var file = SafetensorsFile.Read(path);
        if (!file.Contains("images"))
            throw new CheckpointException($"{path}: no tensor 'images' (expected float32 images [N, C, S, S] in [-1, 1])");
        var t = file.Get("images");
        if (t.Dtype != SafetensorsDtype.F32 || t.Shape.Length != 4 || t.Shape[1] is < 1 or > 4 || t.Shape[2] != t.Shape[3]
            || t.Shape[0] < 1 || t.Shape[2] < 1)
            throw new CheckpointException($"{path}: 'images' is {t}, expected F32 [N, C, S, S] with C in 1..4");
        return new ImageSet(file.GetFloat32("images"), (int)t.Shape[0], (int)t.Shape[1], (int)t.Shape[2], path);
    }
}
