using System.Runtime.Versioning;

// libnfs, NFS-Ganesha and the namespaces the fixture uses exist only on Linux.
[assembly: SupportedOSPlatform("linux")]
