using System.Text.Json.Serialization;
using Weft.Core.Control;

namespace Weft.Node.State;

/// <summary>Source-generated JSON for the files in the state directory.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PersistedState))]
[JsonSerializable(typeof(MapResponse))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
