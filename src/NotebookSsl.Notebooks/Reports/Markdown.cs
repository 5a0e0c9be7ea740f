using Markdig;
using Markdig.Extensions.AutoIdentifiers;
using Markdig.Extensions.Mathematics;
using Markdig.Renderers;
using Markdig.Renderers.Html;

namespace NotebookSsl.Notebooks.Reports;

/// <summary>
/// Notebook markdown to HTML with Markdig: CommonMark plus pipe tables, GitHub heading ids, and math
/// (<c>$...$</c>, <c>$$...$$</c>) kept as text in <c>span.math</c>/<c>div.math</c> with its dollars, so
/// that a <c>*</c> or <c>_</c> inside a formula is not read as emphasis. Raw HTML is escaped: the report
/// shows what a notebook says, it does not run it.
/// </summary>
internal static class Markdown
{
    static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseMathematics()
        .UseAutoIdentifiers(AutoIdentifierOptions.GitHub)
        .UseAutoLinks()
        .DisableHtml()
        .Build();

    public static string ToHtml(string markdown)
    {
        var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.ObjectRenderers.Replace<HtmlMathInlineRenderer>(new DollarMathInline());
        renderer.ObjectRenderers.Replace<HtmlMathBlockRenderer>(new DollarMathBlock());
        renderer.Render(Markdig.Markdown.Parse(markdown.Replace("\r\n", "\n"), Pipeline));
        writer.Flush();
        return writer.ToString();
    }

    /// <summary>Inline math as written: <c>&lt;span class="math"&gt;$x_i$&lt;/span&gt;</c>.</summary>
    sealed class DollarMathInline : HtmlObjectRenderer<MathInline>
    {
        protected override void Write(HtmlRenderer renderer, MathInline math)
        {
            var dollars = new string(math.Delimiter, math.DelimiterCount);
            renderer.Write("<span class=\"math\">").Write(dollars).WriteEscape(ref math.Content).Write(dollars).Write("</span>");
        }
    }

    /// <summary>Display math as written: <c>&lt;div class="math"&gt;$$\n...\n$$&lt;/div&gt;</c>.</summary>
    sealed class DollarMathBlock : HtmlObjectRenderer<MathBlock>
    {
        protected override void Write(HtmlRenderer renderer, MathBlock math)
        {
            renderer.EnsureLine();
            renderer.Write("<div class=\"math\">$$\n");
            renderer.WriteLeafRawLines(math, true, true);
            renderer.Write("$$</div>").WriteLine();
        }
    }
}
