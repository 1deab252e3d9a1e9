/**
 * @module
 * Reading the fields of a form action's `FormData`.
 */

/** The text of field `name`, or `''` when it is missing (or, oddly, a file). */
export function formText(form: FormData, name: string): string {
  const value = form.get(name)
  return typeof value === 'string' ? value : ''
}
