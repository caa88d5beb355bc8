namespace Dcgan.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("dcgan: verbs are being added (devices, gradcheck)");
        return 2;
    }
}
