import { noChange } from 'lit';
import { Directive, PartType, directive, type ElementPart, type PartInfo } from 'lit/directive.js';

/**
 * Sets CSS properties through the CSSOM (element.style.setProperty), never through a style attribute.
 * The webviews' Content-Security-Policy has no 'unsafe-inline', so style attributes — including the
 * string lit's own styleMap writes on first render — are refused; CSSOM assignments are not governed by
 * CSP. Used in element position: <span ${cssom({ 'background-color': colour })}>.
 */
class CssomDirective extends Directive {
  private previous = new Set<string>();

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT)
      throw new Error('cssom() belongs in element position: <div ${cssom({…})}>');
  }

  render(_properties: Readonly<Record<string, string | undefined>>): typeof noChange {
    return noChange;
  }

  override update(
    part: ElementPart,
    [properties]: [Readonly<Record<string, string | undefined>>],
  ): typeof noChange {
    const style = (part.element as HTMLElement).style;
    for (const name of this.previous) {
      if (properties[name] === undefined || properties[name] === '') style.removeProperty(name);
    }
    this.previous = new Set();
    for (const [name, value] of Object.entries(properties)) {
      if (value === undefined || value === '') continue;
      style.setProperty(name, value);
      this.previous.add(name);
    }
    return noChange;
  }
}

export const cssom = directive(CssomDirective);
