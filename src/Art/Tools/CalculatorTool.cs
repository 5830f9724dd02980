using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using NCalc;
using NCalc.Handlers;

namespace Art.Tools;

/// <summary>
/// The <c>calculator</c> tool: arithmetic and common functions on NCalc, with no way to run code. Every function
/// and symbol is checked against an allowlist before evaluation; results must be finite numbers.
/// <c>^</c> is power (as users and models write it), <c>%</c> modulo, <c>!</c> factorial; <c>ans</c> is the
/// previous result of the same thread; variables come from <c>scope</c>.
/// </summary>
public sealed class CalculatorTool : IToolExecutor
{
    public const string ToolName = "calculator";
    private const int MaxExpressionLength = 1000;

    private static readonly Dictionary<string, double> Constants = new(StringComparer.OrdinalIgnoreCase)
    {
        ["pi"] = Math.PI,
        ["e"] = Math.E,
        ["tau"] = Math.Tau,
    };

    // NCalc built-ins that only compute numbers.
    private static readonly HashSet<string> BuiltIns = new(StringComparer.OrdinalIgnoreCase)
    {
        "Abs", "Acos", "Asin", "Atan", "Atan2", "Ceiling", "Cos", "Exp", "Floor", "IEEERemainder", "Ln", "Log", "Log10",
        "Pow", "Round", "Sign", "Sin", "Sqrt", "Tan", "Truncate", "if",
    };

    private static readonly Dictionary<string, ExpressionFunction> Custom = new(StringComparer.OrdinalIgnoreCase)
    {
        ["cbrt"] = d => Math.Cbrt(Arg(d, 0)),
        ["log2"] = d => Math.Log2(Arg(d, 0)),
        ["hypot"] = d => Math.Sqrt((Arg(d, 0) * Arg(d, 0)) + (Arg(d, 1) * Arg(d, 1))),
        ["mod"] = d => Arg(d, 0) % Arg(d, 1),
        ["ceil"] = d => Math.Ceiling(Arg(d, 0)),
        ["factorial"] = d => Factorial(Arg(d, 0)),
        ["mean"] = d => Values(d).Average(),
        ["avg"] = d => Values(d).Average(),
        ["sum"] = d => Values(d).Sum(),
        ["max"] = d => Values(d).Max(),
        ["min"] = d => Values(d).Min(),
        ["median"] = d => Median(Values(d)),
    };

    private readonly ConcurrentDictionary<string, double> _answers = new(StringComparer.Ordinal);

    public ToolSchema Schema { get; } = new()
    {
        Name = ToolName,
        Description = "Evaluates a mathematical expression and returns a number. Operators: + - * / % (modulo) ^ (power) ! (factorial), parentheses. "
            + "Functions: abs, sqrt, cbrt, pow, exp, ln, log, log10, log2, sin, cos, tan, asin, acos, atan, atan2, hypot, floor, ceiling, round, truncate, sign, min, max, mean, median, sum, mod, factorial. "
            + "Constants: pi, e, tau. Variables from 'scope'; 'ans' is the previous result.",
        InputSchema = JsonDocument.Parse("""
            {
              "type": "object",
              "properties": {
                "expression": { "type": "string", "description": "The expression, e.g. \"sqrt(16) + 2^3\"." },
                "scope": { "type": "object", "description": "Variables, e.g. {\"x\": 3}.", "additionalProperties": { "type": "number" } }
              },
              "required": ["expression"],
              "additionalProperties": false
            }
            """).RootElement.Clone(),
        Examples =
        [
            new ToolExample(JsonDocument.Parse("""{"expression":"2 + 3 * 4"}""").RootElement.Clone(), JsonDocument.Parse("""{"result":14}""").RootElement.Clone()),
            new ToolExample(JsonDocument.Parse("""{"expression":"x^2 + 1","scope":{"x":3}}""").RootElement.Clone(), JsonDocument.Parse("""{"result":10}""").RootElement.Clone()),
        ],
    };

    public Task<ToolResult> ExecuteAsync(JsonElement input, ToolExecutionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var expression = input.TryGetProperty("expression", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : null;
        if (string.IsNullOrWhiteSpace(expression))
        {
            return Task.FromResult(ToolResult.Failure(context.CallId, ToolName, "Missing 'expression': give the calculation as a string."));
        }

        var scope = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        if (input.TryGetProperty("scope", out var s) && s.ValueKind == JsonValueKind.Object)
        {
            foreach (var variable in s.EnumerateObject())
            {
                if (variable.Value.ValueKind != JsonValueKind.Number)
                {
                    return Task.FromResult(ToolResult.Failure(context.CallId, ToolName, $"Scope variable '{variable.Name}' must be a number."));
                }

                scope[variable.Name] = variable.Value.GetDouble();
            }
        }

        if (_answers.TryGetValue(context.ThreadId, out var previous))
        {
            scope.TryAdd("ans", previous);
        }

        try
        {
            var value = Evaluate(expression, scope);
            _answers[context.ThreadId] = value;
            return Task.FromResult(ToolResult.Success(context.CallId, ToolName, JsonSerializer.SerializeToElement(new { result = value })));
        }
        catch (CalculatorException ex)
        {
            return Task.FromResult(ToolResult.Failure(context.CallId, ToolName, "Failed to evaluate expression: " + ex.Message));
        }
    }

    /// <summary>Evaluates an expression with variables; throws <see cref="CalculatorException"/> with a clear message.</summary>
    public static double Evaluate(string expression, IReadOnlyDictionary<string, double>? scope = null)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (expression.Length > MaxExpressionLength)
        {
            throw new CalculatorException($"The expression is longer than {MaxExpressionLength} characters.");
        }

        foreach (var c in expression)
        {
            if (c is '\'' or '"' or '#' or '{' or '}' or ';' or '`' or '\\' or '@' or '$')
            {
                throw new CalculatorException($"'{c}' is not allowed: only numbers, operators, functions and variable names.");
            }
        }

        // Users and models write ^ for power; NCalc reads it as XOR.
        var text = expression.Replace("^", "**", StringComparison.Ordinal);
        var ex = new Expression(text, ExpressionOptions.IgnoreCaseAtBuiltInFunctions | ExpressionOptions.OverflowProtection) { CultureInfo = CultureInfo.InvariantCulture };
        if (ex.HasErrors())
        {
            throw new CalculatorException("Syntax error" + (ex.Error?.InnerException?.Message is { } detail ? ": " + detail : $" in '{expression}'."));
        }

        foreach (var function in ex.GetFunctionNames())
        {
            if (!BuiltIns.Contains(function) && !Custom.ContainsKey(function))
            {
                throw new CalculatorException($"Unknown function '{function}'.");
            }
        }

        foreach (var name in ex.GetParameterNames())
        {
            if (scope?.TryGetValue(name, out var v) == true)
            {
                ex.Parameters[name] = v;
            }
            else if (Constants.TryGetValue(name, out var constant))
            {
                ex.Parameters[name] = constant;
            }
            else
            {
                throw new CalculatorException($"Undefined symbol '{name}'.");
            }
        }

        foreach (var (name, function) in Custom)
        {
            ex.Functions[name] = function;
        }

        object? result;
        try
        {
            result = ex.Evaluate();
        }
        catch (CalculatorException)
        {
            throw;
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            throw new CalculatorException(error is OverflowException or DivideByZeroException ? "The result is not a finite number (division by zero or overflow)." : error.Message, error);
        }

        var number = result switch
        {
            double d => d,
            float f => f,
            decimal m => (double)m,
            int i => i,
            long l => l,
            ulong u => u,
            uint ui => ui,
            short sh => sh,
            byte b => b,
            bool => throw new CalculatorException("The expression is a comparison, not a calculation (it gives true/false)."),
            null => throw new CalculatorException("The expression gave no value."),
            _ => throw new CalculatorException($"The expression gave a {result.GetType().Name}, not a number."),
        };
        if (!double.IsFinite(number))
        {
            throw new CalculatorException("The result is not a finite number (division by zero or overflow?).");
        }

        return number;
    }

    private static double Arg(FunctionData data, int index)
    {
        if (index >= data.Count)
        {
            throw new CalculatorException($"Missing argument {index + 1}.");
        }

        return Convert.ToDouble(data.Evaluate(index), CultureInfo.InvariantCulture);
    }

    private static double[] Values(FunctionData data)
    {
        if (data.Count == 0)
        {
            throw new CalculatorException("The function needs at least one value.");
        }

        var values = new double[data.Count];
        for (var i = 0; i < data.Count; i++)
        {
            values[i] = Arg(data, i);
        }

        return values;
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        var mid = values.Length / 2;
        return values.Length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    private static double Factorial(double n)
    {
        if (n < 0 || n != Math.Floor(n) || n > 170)
        {
            throw new CalculatorException("factorial needs a whole number from 0 to 170.");
        }

        var result = 1.0;
        for (var i = 2; i <= (int)n; i++)
        {
            result *= i;
        }

        return result;
    }
}

/// <summary>A calculation that cannot be done; the message says why.</summary>
public sealed class CalculatorException : ArtException
{
    public CalculatorException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
