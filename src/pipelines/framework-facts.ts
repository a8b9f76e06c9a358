/** The runtime table's facts as the doors see them (they reach runtimes only through this path). */
export { frameworkFacts, type FrameworkFacts } from '../runtimes/runtime-table.js'
