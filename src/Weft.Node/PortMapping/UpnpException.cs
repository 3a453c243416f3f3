namespace Weft.Node.PortMapping;

/// <summary>
/// A UPnP exchange that gave no usable answer: a SOAP fault (with its UPnP error code), an answer that does not
/// parse (<see cref="Malformed"/>), an HTTP error, or a device the mapper refuses to talk to. Caught by the port
/// mapper, logged and counted; never reaches the daemon.
/// </summary>
public sealed class UpnpException : Exception
{
    /// <summary>Creates an exception saying what went wrong.</summary>
    public UpnpException(string message, int? errorCode = null, bool malformed = false)
        : base(message)
    {
        ErrorCode = errorCode;
        Malformed = malformed;
    }

    /// <summary>Creates an exception without details (for serializers and analyzers; prefer the other constructor).</summary>
    public UpnpException()
    {
    }

    /// <summary>Creates an exception saying what went wrong.</summary>
    public UpnpException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception saying what went wrong and what caused it.</summary>
    public UpnpException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The UPnP error code of a SOAP fault (e.g. 718 ConflictInEntry), or null.</summary>
    public int? ErrorCode { get; }

    /// <summary>True when the device answered something that is not what the protocol says (bad XML, too large, missing fields).</summary>
    public bool Malformed { get; }
}
