import { InvalidInput } from '../errors.js'

const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
const NAME_RULE =
  'names are 1-63 characters of lower-case letters, digits and "-", starting and ending with a letter or digit'

/** Refuses anything that is not a DNS label (SPEC §1), quoting the name and stating the rule. */
export function assertValidName(name: string, kind = 'model'): void {
  if (!DNS_NAME.test(name)) {
    const why = name.length > 63 ? ` (it has ${name.length} characters)` : ''
    throw new InvalidInput(`invalid ${kind} name ${JSON.stringify(name)}${why}: ${NAME_RULE}`, {
      field: 'name',
      got: name,
      expected: NAME_RULE,
    })
  }
}

const TAG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export function assertValidTag(tag: string): void {
  if (tag === 'latest') {
    throw new InvalidInput(`tag "latest" is reserved: it always means the newest ready version`, { field: 'tag', got: tag })
  }
  if (!TAG.test(tag)) {
    throw new InvalidInput(
      `invalid tag ${JSON.stringify(tag)}: tags are 1-128 characters of letters, digits, ".", "_" and "-", starting with a letter or digit`,
      { field: 'tag', got: tag },
    )
  }
}
