namespace NotebookSsl.Notebooks.Execution;

/// <summary>Source-code names of runtime types, for the casts #!share generates; null when a type cannot be named.</summary>
internal static class TypeNames
{
    public static string? Of(Type t, bool fsharp)
    {
        if (t.IsByRef || t.IsPointer || t.IsGenericParameter) return null;
        if (t.IsArray)
        {
            var e = Of(t.GetElementType()!, fsharp);
            return e is null ? null : e + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        }
        if (!t.IsVisible || t.Assembly.IsDynamic || string.IsNullOrEmpty(t.Assembly.Location)) return null;
        var prefix = fsharp ? "global." : "global::";
        if (!t.IsGenericType) return prefix + t.FullName!.Replace('+', '.');
        if (t.IsNested) return null;
        var def = t.GetGenericTypeDefinition().FullName!;
        var args = t.GetGenericArguments().Select(a => Of(a, fsharp)).ToList();
        if (args.Any(a => a is null)) return null;
        return prefix + def[..def.IndexOf('`')] + "<" + string.Join(", ", args) + ">";
    }

    /// <summary>The most specific nameable type of a value: its declared type, its runtime type, a base type, an interface, or object.</summary>
    public static string Best(Type? declared, object? value, bool fsharp)
    {
        if (declared is not null && Of(declared, fsharp) is { } d) return d;
        for (var t = value?.GetType(); t is not null; t = t.BaseType)
            if (Of(t, fsharp) is { } n && (declared is null || declared.IsAssignableFrom(t))) return n;
        return fsharp ? "obj" : "object";
    }
}
